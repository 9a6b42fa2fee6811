using static TorchSharp.torch;

namespace Prior.MLNet.Modeling.Losses;

/// <summary>
/// PRIOR's local text loss: inside one report, symmetric InfoNCE between its sentence vectors e and their
/// cross-attention contexts c, logits s_l·n(c)·n(e)ᵀ with s_l = exp(local_logit_scale), labels 0..T−1; the
/// negatives are the report's other sentences. Batched over reports of different lengths with a mask; the result
/// equals the mean over reports of each report's loss.
/// </summary>
internal static class SentenceContrastiveLoss
{
    /// <summary>One report: <paramref name="sentences"/> and <paramref name="contexts"/> [T, D].</summary>
    public static Tensor Compute(Tensor sentences, Tensor contexts, Tensor localLogitScale) =>
        Compute(
            sentences.unsqueeze(0),
            contexts.unsqueeze(0),
            ones(1, sentences.shape[0], dtype: ScalarType.Bool, device: sentences.device),
            localLogitScale
        );

    /// <summary>A batch: [B, T, D] each, <paramref name="mask"/> [B, T] marking real sentences.</summary>
    public static Tensor Compute(Tensor sentences, Tensor contexts, Tensor mask, Tensor localLogitScale)
    {
        using var scope = NewDisposeScope();
        var valid = mask.to_type(ScalarType.Bool);
        var logits =
            localLogitScale.exp()
            * nn.functional.normalize(contexts, dim: -1).matmul(nn.functional.normalize(sentences, dim: -1).transpose(-1, -2));
        var pair = valid.unsqueeze(-1).logical_and(valid.unsqueeze(-2)); // [B, T, T]
        var perReport = 0.5 * (RowCrossEntropy(logits, pair, valid) + RowCrossEntropy(logits.transpose(-1, -2), pair, valid));
        var reports = valid.any(-1);
        return (perReport[reports].mean()).MoveToOuterDisposeScope();
    }

    // Mean over real rows of −log softmax(row)[diagonal], with padded columns excluded: [B].
    private static Tensor RowCrossEntropy(Tensor logits, Tensor pair, Tensor valid)
    {
        var masked = logits.masked_fill(pair.logical_not(), double.NegativeInfinity);
        var logProbabilities = masked.log_softmax(-1).diagonal(0, -2, -1); // [B, T]
        var weights = valid.to_type(logits.dtype);
        var losses = (-logProbabilities).masked_fill(valid.logical_not(), 0);
        return (losses * weights).sum(-1) / weights.sum(-1).clamp_min(1);
    }
}
