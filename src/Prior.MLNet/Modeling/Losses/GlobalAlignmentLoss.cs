using static TorchSharp.torch;

namespace Prior.MLNet.Modeling.Losses;

/// <summary>
/// PRIOR's global alignment: the symmetric InfoNCE of CLIP,
/// L = ½[CE(s·n(img)·n(txt)ᵀ, I) + CE(s·n(txt)·n(img)ᵀ, I)] with s = exp(logit_scale) (no clamp, as the original).
/// </summary>
internal static class GlobalAlignmentLoss
{
    /// <summary>Computes the loss for matched rows of <paramref name="image"/> and <paramref name="text"/> ([B, D] each).</summary>
    /// <param name="image">Image embeddings, not necessarily normalised.</param>
    /// <param name="text">Text embeddings, row i matching image row i.</param>
    /// <param name="logitScale">The learnable log-temperature (a one-element tensor).</param>
    public static Tensor Compute(Tensor image, Tensor text, Tensor logitScale)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(text);
        if (image.ndim != 2 || !image.shape.SequenceEqual(text.shape))
            throw new ArgumentException(
                $"image and text must both be [B, D]; got [{string.Join(", ", image.shape)}] and [{string.Join(", ", text.shape)}]."
            );
        using var scope = NewDisposeScope();
        var i = nn.functional.normalize(image, dim: 1);
        var t = nn.functional.normalize(text, dim: 1);
        var logits = logitScale.exp() * i.matmul(t.t());
        var labels = arange(image.shape[0], dtype: ScalarType.Int64, device: image.device);
        var loss = 0.5 * (nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.t(), labels));
        return loss.MoveToOuterDisposeScope();
    }
}
