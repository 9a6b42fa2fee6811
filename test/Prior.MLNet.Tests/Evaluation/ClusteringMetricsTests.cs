using Prior.MLNet.Evaluation;

namespace Prior.MLNet.Tests.Evaluation;

/// <summary>Purity and NMI against hand-computed values and known identities.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ClusteringMetricsTests
{
    [TestMethod]
    public void IdenticalPartitionsUpToRelabellingScoreOne()
    {
        int[] clusters = [7, 7, 3, 3, 3, 9];
        string[] classes = ["a", "a", "b", "b", "b", "c"];
        Assert.AreEqual(1.0, ClusteringMetrics.Purity(clusters, classes), 1e-12);
        Assert.AreEqual(1.0, ClusteringMetrics.NormalizedMutualInformation(clusters, classes), 1e-12);
    }

    [TestMethod]
    public void IndependentPartitionsHaveNoMutualInformation()
    {
        // Every cluster holds each class equally often: I = 0.
        int[] clusters = [0, 0, 1, 1];
        string[] classes = ["x", "y", "x", "y"];
        Assert.AreEqual(0.0, ClusteringMetrics.NormalizedMutualInformation(clusters, classes), 1e-12);
        Assert.AreEqual(0.5, ClusteringMetrics.Purity(clusters, classes), 1e-12);
    }

    [TestMethod]
    public void AHandComputedCase()
    {
        // Clusters {a, a, b} and {b, b}: purity (2 + 2) / 5.
        int[] clusters = [0, 0, 0, 1, 1];
        string[] classes = ["a", "a", "b", "b", "b"];
        Assert.AreEqual(0.8, ClusteringMetrics.Purity(clusters, classes), 1e-12);
        // H(K) = H(3/5, 2/5) = H(C); I = sum p(x,y) ln(p(x,y) / p(x)p(y)) over (0,a) 2/5, (0,b) 1/5, (1,b) 2/5.
        double h = -(0.6 * Math.Log(0.6) + 0.4 * Math.Log(0.4));
        double mi = 0.4 * Math.Log(0.4 / (0.6 * 0.4)) + 0.2 * Math.Log(0.2 / (0.6 * 0.6)) + 0.4 * Math.Log(0.4 / (0.4 * 0.6));
        Assert.AreEqual(mi / h, ClusteringMetrics.NormalizedMutualInformation(clusters, classes), 1e-12);
        Assert.Throws<ArgumentException>(() => ClusteringMetrics.Purity(clusters, classes.Take(4).ToList()));
    }
}
