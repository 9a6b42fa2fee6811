using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Training;

/// <summary>c10's log level, raised so that libtorch's own warnings (NNPACK's) stay off the console.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class LibTorchWarningsTests
{
    [TestMethod]
    public void PlacingANetworkRaisesLibTorchsLogLevelToErrorUnlessTheUserChoseOne()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LibTorchWarnings.LevelVariable)))
            Assert.Inconclusive($"{LibTorchWarnings.LevelVariable} is set here: the user's level stands, which is what the code does");
        _ = ComputeDevices.Resolve(ComputeDevice.Cpu);
        Assert.AreEqual(2, LibTorchWarnings.Level(), "c10's FLAGS_caffe2_log_level is ERROR (2)");
    }
}
