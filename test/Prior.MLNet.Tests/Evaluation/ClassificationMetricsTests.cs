using Microsoft.ML;
using Prior.MLNet.Evaluation;

namespace Prior.MLNet.Tests.Evaluation;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ClassificationMetricsTests
{
    private static readonly double[][] Confusion =
    [
        [2, 1],
        [0, 3],
    ]; // rows: truth, columns: prediction

    [TestMethod]
    public void MacroF1AndKappaMatchHandComputedValues()
    {
        // F1(0) = 2·2 / (2 + 3) = 0.8; F1(1) = 2·3 / (4 + 3) = 6/7. κ: p_o = 5/6, p_e = (3·2 + 3·4) / 36 = 1/2.
        Assert.AreEqual((0.8 + 6.0 / 7) / 2, ClassificationMetrics.MacroF1(Confusion), 1e-12);
        Assert.AreEqual((5.0 / 6 - 0.5) / 0.5, ClassificationMetrics.CohensKappa(Confusion), 1e-12);
        Assert.AreEqual(
            1,
            ClassificationMetrics.CohensKappa([
                [4, 0],
                [0, 2],
            ]),
            1e-12
        );
    }

    [TestMethod]
    public void ZeroShotEvaluationGoesThroughMLNetsEvaluator()
    {
        var truth = new[] { 0, 0, 0, 1, 1, 1 };
        var scores = new[] { new[] { 0.9f, 0.1f }, [0.8f, 0.2f], [0.3f, 0.7f], [0.2f, 0.8f], [0.4f, 0.6f], [0.1f, 0.9f] };
        var result = ZeroShotEvaluation.Evaluate(new MLContext(), truth, scores, ["a", "b"]);
        Assert.AreEqual(5.0 / 6, result.Metrics.MicroAccuracy, 1e-9);
        CollectionAssert.AreEqual(new double[] { 2, 1 }, result.Metrics.ConfusionMatrix.Counts[0].ToArray());
        Assert.AreEqual(ClassificationMetrics.MacroF1(Confusion), result.MacroF1, 1e-12);
        Assert.AreEqual(ClassificationMetrics.CohensKappa(Confusion), result.Kappa, 1e-12);
        // Log loss of the normalised true-class probabilities.
        double expected = -new[] { 0.9, 0.8, 0.3, 0.8, 0.6, 0.9 }.Average(Math.Log);
        Assert.AreEqual(expected, result.Metrics.LogLoss, 1e-4);
    }
}
