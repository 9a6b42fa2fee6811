using Prior.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>
/// The ResNet blocks compute their strided 1×1 shortcut as a stride-1 convolution on every other pixel, because
/// libtorch's oneDNN backward of the strided form kills the process at ResNet-50's 224 px shapes.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ResNetShortcutTests
{
    [TestMethod]
    public void TheSubsampledShortcutEqualsTheStridedConvolutionAndItsGradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var downsample = nn.Sequential(("0", nn.Conv2d(16, 32, 1, stride: 2, bias: false)), ("1", nn.BatchNorm2d(32)));
        downsample.train();
        foreach (int size in new[] { 9, 10 }) // odd and even: the strided convolution keeps ceil(size / 2) pixels
        {
            var x = randn(3, 16, size, size, dtype: ScalarType.Float64);
            downsample.to(ScalarType.Float64);
            var a = x.clone().requires_grad_(true);
            var viaModule = downsample.call(a); // the strided module (forward only is safe)
            viaModule.pow(2).sum().backward();
            var b = x.clone().requires_grad_(true);
            var viaShortcut = ResNetEncoder.Shortcut(downsample, b);
            viaShortcut.pow(2).sum().backward();
            CollectionAssert.AreEqual(viaModule.shape, viaShortcut.shape);
            Assert.IsLessThan(1e-12, (viaModule - viaShortcut).abs().max().item<double>());
            Assert.IsLessThan(1e-10, (a.grad! - b.grad!).abs().max().item<double>());
        }
        var same = randn(2, 16, 4, 4);
        Assert.AreSame(same, ResNetEncoder.Shortcut(null, same));
    }

    [TestMethod]
    public void ResNet50sLayerThreeShortcutAt224PixelsTrainsWithoutKillingTheProcess()
    {
        // The shape that crashed libtorch 2.10's oneDNN (SIGFPE) with a strided 1×1 convolution: 512 → 1024 channels
        // at 28 × 28, batch 4. A regression here ends the test process rather than failing an assertion.
        using var scope = NewDisposeScope();
        using var downsample = nn.Sequential(("0", nn.Conv2d(512, 1024, 1, stride: 2, bias: false)), ("1", nn.BatchNorm2d(1024)));
        var x = randn(4, 512, 28, 28).requires_grad_(true);
        ResNetEncoder.Shortcut(downsample, x).sum().backward();
        Assert.IsTrue(x.grad!.isfinite().all().item<bool>());
        CollectionAssert.AreEqual(new long[] { 4, 512, 28, 28 }, x.grad.shape);
    }
}
