using Prior.MLNet.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>
/// <see cref="ResNetEncoder.MultiplyAdds"/>, the cost behind the bench's compute-efficiency ratio: against torchvision's
/// published figures and against the shapes a real forward pass produces.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ResNetCostTests
{
    // torchvision's model table lists ResNet-50 at 4.09 and ResNet-18 at 1.81 GFLOPS (multiply-adds, three-channel
    // input, classifier included, 224 px), rounded to three digits: within 0.3 %.
    [TestMethod]
    [DataRow(nameof(ResNetBlock.Bottleneck), new[] { 3, 4, 6, 3 }, 2048, 4.09e9)]
    [DataRow(nameof(ResNetBlock.Basic), new[] { 2, 2, 2, 2 }, 512, 1.81e9)]
    public void TheCountMatchesTorchvisionsPublishedFigure(string blockName, int[] layers, int features, double published)
    {
        var block = Enum.Parse<ResNetBlock>(blockName);
        using var encoder = new ResNetEncoder(block, layers);
        long ours = encoder.MultiplyAdds(224, 224);
        // What torchvision's network has and ours has not: two more input channels in the stem (64 filters of 7×7 over
        // a 112×112 output) and the 1000-way classifier.
        long stemColour = 2L * 64 * 7 * 7 * 112 * 112;
        long classifier = features * 1000L;
        Assert.AreEqual(published, ours + stemColour + classifier, published * 0.003);
    }

    // At an odd, non-square size every convolution's output is counted at the size the forward pass really gives it
    // (rounding of strided sizes): recounted here from hooks on the convolutions and blocks of a real forward pass.
    [TestMethod]
    [DataRow(nameof(ResNetBlock.Basic), 16)]
    [DataRow(nameof(ResNetBlock.Bottleneck), 16)]
    public void TheCountMatchesTheShapesOfARealForwardPass(string blockName, int width)
    {
        var block = Enum.Parse<ResNetBlock>(blockName);
        using var scope = NewDisposeScope();
        using var encoder = new ResNetEncoder(block, [1, 2, 1, 1], width);
        long measured = 0;
        void Add(Conv2d conv, Tensor output)
        {
            var w = conv.weight!.shape;
            measured += w[0] * w[1] * w[2] * w[3] * output.shape[2] * output.shape[3];
        }
        foreach (var (_, module) in encoder.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    // Shortcut convolutions are applied functionally (ResNetEncoder.Shortcut); their blocks count them below.
                    _ = (
                        conv.register_forward_hook(
                            (m, input, output) =>
                            {
                                Add((Conv2d)m, output);
                                return output;
                            }
                        )
                    );
                    break;
                case ResNetEncoder.BasicBlock basic when basic.downsample is not null:
                    _ = (
                        basic.register_forward_hook(
                            (m, input, output) =>
                            {
                                Add((Conv2d)basic.downsample.children().First(), output);
                                return output;
                            }
                        )
                    );
                    break;
                case ResNetEncoder.BottleneckBlock bottleneck when bottleneck.downsample is not null:
                    _ = (
                        bottleneck.register_forward_hook(
                            (m, input, output) =>
                            {
                                Add((Conv2d)bottleneck.downsample.children().First(), output);
                                return output;
                            }
                        )
                    );
                    break;
            }
        }
        encoder.eval();
        using (no_grad())
            encoder.call(randn(1, 1, 97, 130));
        Assert.IsTrue(measured > 0);
        Assert.AreEqual(measured, encoder.MultiplyAdds(97, 130));
    }
}
