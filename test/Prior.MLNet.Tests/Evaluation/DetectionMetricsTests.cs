using Prior.MLNet.Downstream;
using Prior.MLNet.Evaluation;

namespace Prior.MLNet.Tests.Evaluation;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class DetectionMetricsTests
{
    private static BoundingBox Box(float x, float y, float w, float h, float score = 1) => new(x, y, w, h, score);

    [TestMethod]
    public void IoUOfHandPlacedBoxes()
    {
        // 10×10 boxes shifted by 5 px: intersection 50, union 150.
        Assert.AreEqual(1.0 / 3, Box(0, 0, 10, 10).IoU(Box(5, 0, 10, 10)), 1e-12);
        Assert.AreEqual(1.0, Box(2, 3, 4, 5).IoU(Box(2, 3, 4, 5)), 1e-12);
        Assert.AreEqual(0.0, Box(0, 0, 10, 10).IoU(Box(10, 0, 10, 10))); // touching edges
        Assert.AreEqual(0.25, Box(0, 0, 10, 10).IoU(Box(0, 0, 5, 5)), 1e-12); // nested
    }

    [TestMethod]
    public void TheThresholdRangesAreTheChallengesAndTheWideOne()
    {
        CollectionAssert.AreEqual(new[] { 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75 }, DetectionMetrics.ChallengeThresholds.ToArray());
        Assert.HasCount(11, DetectionMetrics.WideThresholds);
        Assert.AreEqual(0.25, DetectionMetrics.WideThresholds[0]);
        Assert.AreEqual(0.75, DetectionMetrics.WideThresholds[^1]);
    }

    [TestMethod]
    public void AnImagesPrecisionCountsHitsFalseBoxesAndMissesPerThreshold()
    {
        var truth = new[] { Box(0, 0, 10, 10), Box(50, 50, 10, 10) };
        // IoU 1/3 with the first true box (a hit below 1/3 only), and one box far from everything.
        var predicted = new[] { Box(5, 0, 10, 10, 0.9f), Box(100, 100, 5, 5, 0.8f) };
        // t = 0.25, 0.30: 1 hit, 1 false, 1 miss → 1/3; t = 0.35: 0 hits, 2 false, 2 misses → 0.
        Assert.AreEqual((1.0 / 3 + 1.0 / 3 + 0) / 3, DetectionMetrics.ImagePrecision(truth, predicted, [0.25, 0.30, 0.35])!.Value, 1e-12);
        // All perfect: 1 at every threshold.
        Assert.AreEqual(1.0, DetectionMetrics.ImagePrecision(truth, truth, DetectionMetrics.ChallengeThresholds)!.Value, 1e-12);
    }

    [TestMethod]
    public void TheMoreConfidentOfTwoBoxesOnOneTruthIsTheHit()
    {
        var truth = new[] { Box(0, 0, 10, 10) };
        // The exact box is less confident than a poor one; the poor one (IoU 0.25) comes first and takes the truth at
        // t = 0.2, leaving the exact one a false positive; at t = 0.5 the poor one misses and the exact one hits.
        var predicted = new[] { Box(0, 0, 10, 10, 0.5f), Box(0, 0, 5, 5, 0.9f) };
        Assert.AreEqual(0.5, DetectionMetrics.ImagePrecision(truth, predicted, [0.2])!.Value, 1e-12); // 1 / (1 + 1 + 0)
        Assert.AreEqual(0.5, DetectionMetrics.ImagePrecision(truth, predicted, [0.5])!.Value, 1e-12); // 1 / (1 + 1 + 0)
        Assert.AreEqual(1.0, DetectionMetrics.ImagePrecision(truth, [predicted[0]], [0.5])!.Value, 1e-12);
    }

    [TestMethod]
    public void ImagesWithoutTruthScoreZeroForAnyBoxAndAreLeftOutForNone()
    {
        Assert.IsNull(DetectionMetrics.ImagePrecision([], [], DetectionMetrics.ChallengeThresholds));
        Assert.AreEqual(0.0, DetectionMetrics.ImagePrecision([], [Box(1, 1, 2, 2, 0.1f)], DetectionMetrics.ChallengeThresholds));
        Assert.AreEqual(0.0, DetectionMetrics.ImagePrecision([Box(1, 1, 2, 2)], [], DetectionMetrics.ChallengeThresholds));
        // Mean over images: the empty-empty image does not count; a perfect image and a false alarm average to ½.
        var images = new (IReadOnlyList<BoundingBox>, IReadOnlyList<BoundingBox>)[]
        {
            ([Box(0, 0, 10, 10)], [Box(0, 0, 10, 10, 0.7f)]),
            ([], []),
            ([], [Box(3, 3, 4, 4, 0.6f)]),
        };
        Assert.AreEqual(0.5, DetectionMetrics.MeanAveragePrecision(images, DetectionMetrics.ChallengeThresholds), 1e-12);
        Assert.IsTrue(double.IsNaN(DetectionMetrics.MeanAveragePrecision([([], [])], DetectionMetrics.ChallengeThresholds)));
    }

    [TestMethod]
    public void SuppressionKeepsTheMostConfidentOfOverlappingBoxes()
    {
        var boxes = new[]
        {
            Box(0, 0, 10, 10, 0.6f),
            Box(1, 0, 10, 10, 0.9f), // IoU 0.82 with the first: suppresses it
            Box(30, 30, 10, 10, 0.5f), // apart: kept
            Box(5, 0, 10, 10, 0.4f), // IoU with the kept (1, 0) box = 6/14 ≈ 0.43 ≤ 0.5: kept
        };
        var kept = NonMaximumSuppression.Apply(boxes, 0.5);
        CollectionAssert.AreEqual(new[] { 0.9f, 0.5f, 0.4f }, kept.Select(b => b.Score).ToArray());
        Assert.HasCount(2, NonMaximumSuppression.Apply(boxes, 0.5, maxBoxes: 2));
        Assert.HasCount(2, NonMaximumSuppression.Apply(boxes, 0.3)); // now (5, 0) is suppressed too
    }

    [TestMethod]
    public void FlatRsnaBoxesAreReadFourNumbersAtATime()
    {
        var boxes = BoundingBox.FromFlat([1, 2, 3, 4, 10, 20, 30, 40]);
        Assert.AreEqual(Box(10, 20, 30, 40), boxes[1]);
        Assert.ThrowsExactly<ArgumentException>(() => BoundingBox.FromFlat([1, 2, 3]));
        Assert.AreEqual(Box(2, 6, 6, 12), Box(1, 2, 3, 4).Scale(2, 3));
    }
}
