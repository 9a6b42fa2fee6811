using Prior.MLNet.Evaluation;

namespace Prior.MLNet.Tests.Evaluation;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class SegmentationMetricsTests
{
    [TestMethod]
    public void DiceAndIoUByHandWithSiimsEmptyMaskRule()
    {
        byte[] predicted = [1, 1, 0, 0],
            truth = [1, 0, 1, 0];
        Assert.AreEqual(0.5, SegmentationMetrics.Dice(predicted, truth), 1e-12); // 2·1 / (2 + 2)
        Assert.AreEqual(1.0 / 3, SegmentationMetrics.IoU(predicted, truth), 1e-12); // 1 / 3
        Assert.AreEqual(1.0, SegmentationMetrics.Dice(new byte[4], new byte[4]), "both empty");
        Assert.AreEqual(1.0, SegmentationMetrics.IoU(new byte[4], new byte[4]), "both empty");
        Assert.AreEqual(0.0, SegmentationMetrics.Dice(new byte[4], truth), "nothing found where there is something");
        Assert.AreEqual(0.0, SegmentationMetrics.Dice(predicted, new byte[4]), "something found where there is nothing");
        Assert.AreEqual(1.0, SegmentationMetrics.Dice([0, 255, 3], [0, 1, 1]), "any non-zero byte is inside");
        Assert.ThrowsExactly<ArgumentException>(() => SegmentationMetrics.Dice(new byte[3], new byte[4]));
    }
}
