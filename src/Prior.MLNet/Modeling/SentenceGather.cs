using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>
/// Token → sentence averaging: every token carries the index (1..T) of its sentence, CLS, SEP and padding carry -1;
/// a sentence vector is the mean of its tokens. Output is padded per report: [B, T_max, D] with a mask [B, T_max].
/// </summary>
internal static class SentenceGather
{
    /// <summary>Averages <paramref name="tokens"/> [B, L, D] by <paramref name="sentenceIndex"/> [B, L] (int64).</summary>
    public static (Tensor Sentences, Tensor Mask) Gather(Tensor tokens, Tensor sentenceIndex)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(sentenceIndex);
        using var scope = NewDisposeScope();
        long maxSentences = Math.Max(1, sentenceIndex.max().item<long>());
        var ids = arange(1, maxSentences + 1, dtype: ScalarType.Int64, device: tokens.device);
        var membership = sentenceIndex.unsqueeze(-1).eq(ids).to_type(tokens.dtype); // [B, L, T]
        var sums = membership.transpose(1, 2).matmul(tokens); // [B, T, D]
        var counts = membership.sum(1); // [B, T]
        var sentences = sums / counts.clamp_min(1).unsqueeze(-1);
        var mask = counts.gt(0);
        return (sentences.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>The real sentences of every report, concatenated in order: [Σ T_b, D].</summary>
    public static Tensor Concatenate(Tensor sentences, Tensor mask) => sentences[mask];
}
