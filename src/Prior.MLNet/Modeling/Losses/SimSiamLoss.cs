using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Modeling.Losses;

/// <summary>
/// PRIOR's local image loss: SimSiam between local image features x and their cross-attention context y,
/// −½[mean cos(P(x), sg(y)) + mean cos(P(y), sg(x))], sg = stop-gradient, P = <see cref="Predictor"/>.
/// Inputs [.., I, D]; the mean runs over every patch (and report), which equals the per-report mean averaged
/// over reports, as they all have I patches.
/// </summary>
internal static class SimSiamLoss
{
    /// <summary>Computes the loss.</summary>
    public static Tensor Compute(Tensor x, Tensor y, Sequential predictor)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        using var scope = NewDisposeScope();
        var a = nn.functional.cosine_similarity(predictor.call(x), y.detach(), dim: -1).mean();
        var b = nn.functional.cosine_similarity(predictor.call(y), x.detach(), dim: -1).mean();
        return (-0.5 * (a + b)).MoveToOuterDisposeScope();
    }
}
