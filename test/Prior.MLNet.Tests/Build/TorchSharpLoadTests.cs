using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Build;

/// <summary>
/// TorchSharp must load here and on Debian 12 / Ubuntu 22.04 (build/LibTorchSharpGlibcxx.targets), and compute.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class TorchSharpLoadTests
{
    [TestMethod]
    public void ConvolutionForwardAndBackwardOnCpuMatchHandComputedValues()
    {
        using var scope = NewDisposeScope();
        // 1x1x3x3 input 1..9, a 2x2 kernel of ones, no padding: each output is the sum of a 2x2 window.
        var input = arange(1, 10, dtype: float32).reshape(1, 1, 3, 3).requires_grad_(true);
        var weight = ones(1, 1, 2, 2, dtype: float32).requires_grad_(true);
        var output = nn.functional.conv2d(input, weight);
        CollectionAssert.AreEqual(new[] { 12f, 16f, 24f, 28f }, output.data<float>().ToArray());

        output.sum().backward();
        // d(sum)/d(input): how many 2x2 windows cover each pixel. d(sum)/d(weight): the sum of each window offset.
        CollectionAssert.AreEqual(new[] { 1f, 2f, 1f, 2f, 4f, 2f, 1f, 2f, 1f }, input.grad!.data<float>().ToArray());
        CollectionAssert.AreEqual(new[] { 12f, 16f, 24f, 28f }, weight.grad!.data<float>().ToArray());
        Assert.AreEqual(DeviceType.CPU, output.device_type);
    }

    [TestMethod]
    public void ConvolutionModuleTrainsOneStep()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        using var conv = nn.Conv2d(1, 4, 3, padding: 1);
        using var optimizer = optim.SGD(conv.parameters(), 0.1);
        var x = randn(2, 1, 8, 8);
        var target = zeros(2, 4, 8, 8);
        var before = nn.functional.mse_loss(conv.call(x), target);
        before.backward();
        optimizer.step();
        var after = nn.functional.mse_loss(conv.call(x), target);
        Assert.IsTrue(after.item<float>() < before.item<float>(), $"loss {before.item<float>()} -> {after.item<float>()}");
    }

    [TestMethod]
    public void OutputCopyOfLibTorchSharpHasItsGlibcxx3432RequirementMarkedWeak()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("The GLIBCXX patch applies to Linux builds only.");
        var library = Directory
            .EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories)
            .FirstOrDefault();
        Assert.IsNotNull(library, "libLibTorchSharp.so is not in the test output folder.");

        // readelf (binutils) is an independent reader of the ELF version tables that our build task edits.
        var info = new ProcessStartInfo("readelf", ["-V", "--wide", library]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = text.Split('\n').FirstOrDefault(l => l.Contains("Name: GLIBCXX_3.4.32", StringComparison.Ordinal));
        Assert.IsNotNull(line, "libLibTorchSharp.so no longer asks for GLIBCXX_3.4.32: revisit the build patch.");
        StringAssert.Contains(line, "WEAK", $"GLIBCXX_3.4.32 is not weak: {line}");
    }
}
