namespace Prior.MLNet.Modeling.Bert;

/// <summary>
/// Sizes of a BERT encoder or decoder, named as in Hugging Face's <c>BertConfig</c>. The defaults are
/// BERT-base / Bio_ClinicalBERT (cased, vocabulary 28996).
/// </summary>
/// <param name="VocabSize">Word-piece vocabulary size; 0 for a decoder that takes embeddings, not ids.</param>
/// <param name="HiddenSize">Width of every hidden state.</param>
/// <param name="NumHiddenLayers">Number of layers.</param>
/// <param name="NumAttentionHeads">Attention heads; must divide <paramref name="HiddenSize"/>.</param>
/// <param name="IntermediateSize">Width of the feed-forward layer.</param>
/// <param name="MaxPositionEmbeddings">Longest sequence.</param>
/// <param name="TypeVocabSize">Token types.</param>
/// <param name="HiddenDropoutProb">Dropout after embeddings and sub-layers.</param>
/// <param name="AttentionProbsDropoutProb">Dropout on attention probabilities.</param>
/// <param name="LayerNormEps">LayerNorm epsilon (1e-12 in BERT).</param>
/// <param name="AddCrossAttention">True for a decoder whose layers also attend to encoder states.</param>
/// <param name="AddPooler">
/// True to hold Hugging Face's <c>pooler.dense</c> (PRIOR never uses it; the official checkpoint has one, so an
/// imported model keeps it and exports it again).
/// </param>
internal sealed record BertConfig(
    int VocabSize = 28996,
    int HiddenSize = 768,
    int NumHiddenLayers = 12,
    int NumAttentionHeads = 12,
    int IntermediateSize = 3072,
    int MaxPositionEmbeddings = 512,
    int TypeVocabSize = 2,
    double HiddenDropoutProb = 0.1,
    double AttentionProbsDropoutProb = 0.1,
    double LayerNormEps = 1e-12,
    bool AddCrossAttention = false,
    bool AddPooler = false
)
{
    /// <summary>Throws naming the first invalid size.</summary>
    public void Validate()
    {
        if (HiddenSize < 1 || NumAttentionHeads < 1 || HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"NumAttentionHeads ({NumAttentionHeads}) must be positive and divide HiddenSize ({HiddenSize}).");
        if (NumHiddenLayers < 1)
            throw new ArgumentOutOfRangeException(nameof(NumHiddenLayers), NumHiddenLayers, "must be at least 1");
        if (IntermediateSize < 1)
            throw new ArgumentOutOfRangeException(nameof(IntermediateSize), IntermediateSize, "must be at least 1");
        if (MaxPositionEmbeddings < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPositionEmbeddings), MaxPositionEmbeddings, "must be at least 1");
        if (VocabSize < 0)
            throw new ArgumentOutOfRangeException(nameof(VocabSize), VocabSize, "must be 0 (no word embeddings) or more");
    }
}
