using Prior.MLNet.Downstream;
using Prior.MLNet.Tests.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Downstream;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class SegmentationNetworkTests
{
    [TestMethod]
    public void TheUNetTakesThePretrainedResNetAndGivesALogitPerPixel()
    {
        var model = TestNetwork.Instance.Model;
        using var network = new SegmentationNetwork(model.Options);
        int expected = model.state_dict().Keys.Count(k => k.StartsWith("image_encoder.encoder.", StringComparison.Ordinal));
        Assert.AreEqual(expected, network.LoadEncoder(model));
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(4);
        int size = model.Options.ImageSize;
        var images = randn(2, 1, size, size);
        CollectionAssert.AreEqual(new long[] { 2, 1, size, size }, network.call(images).shape);

        // The stage maps end where the encoder's forward ends, and the copied ResNet computes as the pretrained one.
        var stages = network.image_encoder.encoder.Stages(images);
        Assert.HasCount(5, stages);
        Assert.AreEqual(0f, (stages[4] - model.image_encoder.encoder.call(images)).abs().max().item<float>());
        CollectionAssert.AreEqual(network.image_encoder.encoder.StageChannels.ToArray(), stages.Select(s => (int)s.shape[1]).ToArray());
        CollectionAssert.AreEqual(
            new long[] { size / 2, size / 4, size / 8, size / 16, size / 32 },
            stages.Select(s => s.shape[2]).ToArray()
        );
    }
}

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class MinimumMaskSizeTests
{
    [TestMethod]
    public void TheSmallestMaskSizeIsChosenToEmptySpuriousBlobsButKeepTrueMasks()
    {
        // 8 × 8 images: two with a true 6-pixel mask predicted exactly, two without a mask but with a 2-pixel blob.
        byte[] Mask(params int[] on)
        {
            var m = new byte[64];
            foreach (var i in on)
                m[i] = 1;
            return m;
        }
        var truth6 = Mask(0, 1, 2, 3, 4, 5);
        var blob = Mask(40, 41);
        var empty = Mask();
        var predictions = new[] { truth6, truth6, blob, blob };
        var truths = new[] { truth6, truth6, empty, empty };
        // Minimum 0 or 1 or 2: Dice 1, 1, 0, 0; minimum 4: the blobs go (1, 1, 1, 1); minimum 8 empties the true masks too.
        Assert.AreEqual(4, SegmentationFineTuning.ChooseMinimumPixels(predictions, truths, 8));
        // Without spurious blobs every size up to the true mask's costs nothing: the largest of those wins the tie.
        Assert.AreEqual(4, SegmentationFineTuning.ChooseMinimumPixels([truth6, empty], [truth6, empty], 8));
    }
}
