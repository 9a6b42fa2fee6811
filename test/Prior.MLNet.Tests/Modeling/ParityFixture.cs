using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>
/// Reads a fixture of the original PRIOR code's own inputs, parameters and outputs (TestData/parity, copied from
/// ../shared/parity; see its README) and compares our outputs with them.
/// </summary>
internal static class ParityFixture
{
    public static Dictionary<string, Tensor> Load(string name) =>
        TorchSharp.PyBridge.Safetensors.LoadStateDict(Path.Combine(RepositoryPaths.TestData, "parity", name + ".safetensors"));

    /// <summary>The parameters under <paramref name="prefix"/>, with the prefix removed.</summary>
    public static Dictionary<string, Tensor> Parameters(Dictionary<string, Tensor> fixture, string prefix) =>
        fixture
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>Asserts ‖ours − theirs‖ / ‖theirs‖ &lt; 1e-5 and equal shapes.</summary>
    public static void AssertClose(Tensor theirs, Tensor ours, string what, double tolerance = 1e-5)
    {
        CollectionAssert.AreEqual(theirs.shape, ours.shape, $"{what}: shape");
        double relative =
            (ours.to_type(ScalarType.Float64) - theirs.to_type(ScalarType.Float64)).norm().item<double>()
            / Math.Max(theirs.to_type(ScalarType.Float64).norm().item<double>(), 1e-30);
        Assert.IsLessThan(tolerance, relative, $"{what}: relative error {relative:E2}");
    }
}
