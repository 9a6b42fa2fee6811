using Prior.MLNet.Evaluation;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Evaluation;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class RetrievalTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(64)]
    public void BlockwiseScoringEqualsACountOverTheWholeMatrix(int block)
    {
        using var scope = NewDisposeScope();
        // Its own generator: torch's global one is shared with tests running in parallel, which would change the case.
        using var generator = new TorchSharp.torch.Generator(3);
        int n = 50;
        var reports = nn.functional.normalize(randn(n, 16, generator: generator), dim: 1);
        // Images near their reports for some studies, unrelated for others.
        var images = nn.functional.normalize(reports * 0.6 + randn(n, 16, generator: generator) * 0.5, dim: 1);
        var result = Retrieval.Score(images, reports, block);

        // Reference: every pair's similarity in plain C#, ranked by hand.
        var a = images.data<float>().ToArray();
        var b = reports.data<float>().ToArray();
        double Sim(float[] x, int i, float[] y, int j) => Enumerable.Range(0, 16).Sum(d => (double)x[i * 16 + d] * y[j * 16 + d]);
        int Rank(float[] x, int i, float[] y) => Enumerable.Range(0, n).Count(j => j != i && Sim(x, i, y, j) > Sim(x, i, y, i));
        double p1 = Enumerable.Range(0, n).Count(i => Rank(a, i, b) == 0) / (double)n;
        double p5 = Enumerable.Range(0, n).Count(i => Rank(a, i, b) < 5) / (double)n;
        double t1 = Enumerable.Range(0, n).Count(i => Rank(b, i, a) == 0) / (double)n;
        Assert.AreEqual(p1, result.ImageToTextP1, 1e-12);
        Assert.AreEqual(p5, result.ImageToTextP5, 1e-12);
        Assert.AreEqual(t1, result.TextToImageP1, 1e-12);
        Assert.AreEqual(1.0 / n, result.Chance);
        Assert.IsTrue(p1 > 0.1 && p1 < 1, $"the case is informative: P@1 {p1}");
    }
}
