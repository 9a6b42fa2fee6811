using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the checkpoint keys of the original (modules/local_attention.py).

namespace Prior.MLNet.Modeling;

/// <summary>
/// PRIOR's local cross-attention between image patches and report sentences, with <b>sigmoid</b> (not softmax)
/// attention, so rows are not normalised:
/// A_ti = sigmoid(Q2(sent)·K1(img)ᵀ/√D) [T, I], context_sentence = A_ti·V1(img);
/// A_it = sigmoid(Q1(img)·K2(sent)ᵀ/√D) [I, T], context_image = A_it·V2(sent).
/// Works on one report ([I, D], [T, D]) or a batch ([B, I, D], [B, T, D]).
/// </summary>
internal sealed class LocalCrossAttention : nn.Module<Tensor, Tensor, LocalCrossAttentionOutput>
{
    /// <summary>Query projection of image patches.</summary>
    public readonly Linear query1;

    /// <summary>Key projection of image patches.</summary>
    public readonly Linear key1;

    /// <summary>Value projection of image patches.</summary>
    public readonly Linear value1;

    /// <summary>Query projection of sentences.</summary>
    public readonly Linear query2;

    /// <summary>Key projection of sentences.</summary>
    public readonly Linear key2;

    /// <summary>Value projection of sentences.</summary>
    public readonly Linear value2;

    private readonly double _scale;

    /// <summary>Creates the module for embeddings of width <paramref name="embedDim"/> (768 in the paper).</summary>
    public LocalCrossAttention(int embedDim)
        : base(nameof(LocalCrossAttention))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embedDim, 1);
        query1 = nn.Linear(embedDim, embedDim);
        key1 = nn.Linear(embedDim, embedDim);
        value1 = nn.Linear(embedDim, embedDim);
        query2 = nn.Linear(embedDim, embedDim);
        key2 = nn.Linear(embedDim, embedDim);
        value2 = nn.Linear(embedDim, embedDim);
        _scale = 1.0 / Math.Sqrt(embedDim);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override LocalCrossAttentionOutput forward(Tensor imagePatches, Tensor sentences) => Attend(imagePatches, sentences, null);

    /// <summary>
    /// Batched attention where reports have different numbers of sentences: <paramref name="sentenceMask"/> [B, T]
    /// marks the real ones. Padded sentences get zero attention, so every real output equals the report alone.
    /// </summary>
    public LocalCrossAttentionOutput Attend(Tensor imagePatches, Tensor sentences, Tensor? sentenceMask)
    {
        using var scope = NewDisposeScope();
        var sentenceToImage = (query2.call(sentences).matmul(key1.call(imagePatches).transpose(-2, -1)) * _scale).sigmoid();
        var contextSentence = sentenceToImage.matmul(value1.call(imagePatches));
        var imageToSentence = (query1.call(imagePatches).matmul(key2.call(sentences).transpose(-2, -1)) * _scale).sigmoid();
        if (sentenceMask is not null)
            imageToSentence = imageToSentence * sentenceMask.to_type(imageToSentence.dtype).unsqueeze(-2);
        var contextImage = imageToSentence.matmul(value2.call(sentences));
        return new LocalCrossAttentionOutput(
            contextImage.MoveToOuterDisposeScope(),
            imageToSentence.MoveToOuterDisposeScope(),
            contextSentence.MoveToOuterDisposeScope(),
            sentenceToImage.MoveToOuterDisposeScope()
        );
    }
}

/// <summary>The four outputs of <see cref="LocalCrossAttention"/>.</summary>
/// <param name="ContextImage">Per image patch, the attention-weighted sentence values [.., I, D].</param>
/// <param name="ImageToSentence">Sigmoid attention of patches over sentences [.., I, T].</param>
/// <param name="ContextSentence">Per sentence, the attention-weighted patch values [.., T, D].</param>
/// <param name="SentenceToImage">Sigmoid attention of sentences over patches [.., T, I].</param>
internal sealed record LocalCrossAttentionOutput(
    Tensor ContextImage,
    Tensor ImageToSentence,
    Tensor ContextSentence,
    Tensor SentenceToImage
);
