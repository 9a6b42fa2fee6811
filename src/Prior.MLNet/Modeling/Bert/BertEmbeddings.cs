using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are Hugging Face checkpoint keys (LayerNorm keeps its TF capitalisation).

namespace Prior.MLNet.Modeling.Bert;

/// <summary>
/// BERT embeddings (Hugging Face <c>BertEmbeddings</c>): word + position (0..L-1) + token type 0, then LayerNorm and
/// dropout. Without a vocabulary (a decoder fed with embeddings) <c>word_embeddings</c> is absent.
/// <c>position_ids</c> and <c>token_type_ids</c> are computed, not stored, as Hugging Face's non-persistent buffers.
/// </summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor>
{
    /// <summary>Word-piece embeddings, or null without a vocabulary.</summary>
    public readonly Embedding? word_embeddings;

    /// <summary>Absolute position embeddings.</summary>
    public readonly Embedding position_embeddings;

    /// <summary>Token-type (segment) embeddings; only type 0 is used.</summary>
    public readonly Embedding token_type_embeddings;

    /// <summary>LayerNorm after the sum.</summary>
    public readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Creates the embeddings for <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config)
        : base(nameof(BertEmbeddings))
    {
        if (config.VocabSize > 0)
            word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>Embeds token ids [B, L] (int64).</summary>
    public override Tensor forward(Tensor inputIds)
    {
        if (word_embeddings is null)
            throw new InvalidOperationException("These embeddings have no vocabulary; call EmbedInputs with embeddings.");
        return EmbedInputs(word_embeddings.call(inputIds));
    }

    /// <summary>Adds position and token-type embeddings to input embeddings [B, L, H].</summary>
    public Tensor EmbedInputs(Tensor inputsEmbeds)
    {
        long length = inputsEmbeds.shape[1];
        var positions = arange(length, dtype: ScalarType.Int64, device: inputsEmbeds.device);
        var types = zeros(length, dtype: ScalarType.Int64, device: inputsEmbeds.device);
        var sum = inputsEmbeds + position_embeddings.call(positions) + token_type_embeddings.call(types);
        return dropout.call(LayerNorm.call(sum));
    }
}
