using Prior.MLNet.Downstream;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Tests.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Downstream;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class DetectionNetworkTests
{
    [TestMethod]
    public void TheDetectorTakesThePretrainedResNetAndGivesHeadsAtStrideFour()
    {
        var model = TestNetwork.Instance.Model;
        using var network = new DetectionNetwork(model.Options);
        int expected = model.state_dict().Keys.Count(k => k.StartsWith("image_encoder.encoder.", StringComparison.Ordinal));
        Assert.AreEqual(expected, network.LoadEncoder(model));
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(4);
        int size = model.Options.ImageSize,
            cells = size / DetectionNetwork.Stride;
        var images = randn(2, 1, size, size);
        var output = network.call(images);
        CollectionAssert.AreEqual(new long[] { 2, 1, cells, cells }, output.ClassLogits.shape);
        CollectionAssert.AreEqual(new long[] { 2, 4, cells, cells }, output.LogDistances.shape);
        CollectionAssert.AreEqual(new long[] { 2, 1, cells, cells }, output.CentrednessLogits.shape);
        // The copied ResNet computes as the pretrained one.
        Assert.AreEqual(
            0f,
            (network.image_encoder.encoder.Stages(images)[4] - model.image_encoder.encoder.call(images)).abs().max().item<float>()
        );
        // The class head starts at RetinaNet's prior: sigmoid 0.01 everywhere.
        Assert.AreEqual(DetectionNetwork.PriorProbability, output.ClassLogits.sigmoid().mean().item<float>(), 0.002);
        Assert.IsLessThan(0.5f, output.ClassLogits.std().item<float>());
    }

    [TestMethod]
    public void ZeroLogDistancesDecodeToBoxesOneStrideAroundEachLocation()
    {
        using var scope = NewDisposeScope();
        // 32 px: an 8 × 8 map; location (row 1, column 2) is centred at (10, 6); exp(0) strides = 4 px each way.
        var boxes = DetectionFineTuning.Decode(zeros(1, 4, 8, 8), 32).data<float>().ToArray();
        int k = 1 * 8 + 2;
        CollectionAssert.AreEqual(new float[] { 6, 2, 14, 10 }, boxes.Skip(4 * k).Take(4).ToArray());
        // The corner location's box is clipped to the image.
        CollectionAssert.AreEqual(new float[] { 0, 0, 6, 6 }, boxes.Take(4).ToArray());
        // log 2 on the right distance only: the right edge moves to 2 strides.
        var right = zeros(1, 4, 8, 8);
        right[0, 2].fill_(MathF.Log(2));
        CollectionAssert.AreEqual(
            new float[] { 6, 2, 18, 10 },
            DetectionFineTuning.Decode(right, 32).data<float>().ToArray().Skip(4 * k).Take(4).ToArray()
        );
    }

    [TestMethod]
    public void TheLossIsFiniteWithAndWithoutBoxesAndFallsWhenTheHeadsLearnOneImage()
    {
        var model = TestNetwork.Instance.Model;
        manual_seed(2); // before construction: the heads' initialisation must not depend on which tests ran first
        using var network = new DetectionNetwork(model.Options);
        network.train();
        // Only the heads learn here; the encoder computes no gradients.
        foreach (var p in network.image_encoder.parameters())
            p.requires_grad = false;
        using var scope = NewDisposeScope();
        int size = model.Options.ImageSize;
        var images = randn(2, 1, size, size);
        var boxes = new List<IReadOnlyList<BoundingBox>> { new[] { new BoundingBox(20, 22, 12, 10) }, Array.Empty<BoundingBox>() };
        var empty = new List<IReadOnlyList<BoundingBox>> { Array.Empty<BoundingBox>(), Array.Empty<BoundingBox>() };
        Assert.IsTrue(float.IsFinite(DetectionFineTuning.Loss(network.call(images), empty, size, CPU).item<float>()));
        using var optimizer = TorchSharp.torch.optim.AdamW(network.HeadParameters(), 1e-3);
        float first = float.NaN,
            last = float.NaN;
        for (int step = 0; step < 30; step++)
        {
            network.zero_grad();
            var loss = DetectionFineTuning.Loss(network.call(images), boxes, size, CPU);
            loss.backward();
            // Every step's gradient is finite: the six-channel head is an AlignedConv2d (the stock one gave NaN input gradients now and
            // then).
            Assert.IsTrue(Prior.MLNet.Downstream.FineTuningLoop.GradientsFinite(network), $"step {step}: a gradient is not finite");
            optimizer.step();
            if (step == 0)
                first = loss.item<float>();
            last = loss.item<float>();
        }
        Assert.IsTrue(float.IsFinite(first) && float.IsFinite(last));
        Assert.IsLessThan(0.7f * first, last, $"loss {first} → {last}");
    }
}
