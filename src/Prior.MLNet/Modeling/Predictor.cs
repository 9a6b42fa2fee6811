using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>PRIOR's SimSiam predictor head: Linear D→D/2, ReLU, Linear D/2→D (checkpoint keys <c>predictor.0</c>,
/// <c>predictor.2</c>).</summary>
internal static class Predictor
{
    /// <summary>Creates the head for width <paramref name="dim"/>.</summary>
    public static Sequential Create(int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 2);
        return nn.Sequential(("0", nn.Linear(dim, dim / 2)), ("1", nn.ReLU()), ("2", nn.Linear(dim / 2, dim)));
    }
}
