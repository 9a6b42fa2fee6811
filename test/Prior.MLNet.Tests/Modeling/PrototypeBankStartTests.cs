using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>The bank's k-means start, its restarts and the usage perplexity, against hand-built cases.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class PrototypeBankStartTests
{
    // Points around `k` random unit directions in `d` dimensions, with norms in [2, 6], and the true cluster of each.
    private static (Tensor Points, int[] Truth, Tensor Directions) Clusters(int k, int perCluster, int d, double spread, int seed)
    {
        var random = new Random(seed);
        var directions = new float[k * d];
        for (int i = 0; i < directions.Length; i++)
            directions[i] = (float)(random.NextDouble() * 2 - 1);
        var dirs = nn.functional.normalize(tensor(directions, [k, d]), dim: 1);
        var data = dirs.data<float>().ToArray();
        var points = new float[k * perCluster * d];
        var truth = new int[k * perCluster];
        for (int c = 0; c < k; c++)
        {
            for (int p = 0; p < perCluster; p++)
            {
                int row = c * perCluster + p;
                truth[row] = c;
                double norm = 2 + 4 * random.NextDouble();
                for (int j = 0; j < d; j++)
                    points[row * d + j] = (float)(norm * (data[c * d + j] + spread * (random.NextDouble() * 2 - 1)));
            }
        }
        return (tensor(points, [k * perCluster, d]), truth, dirs);
    }

    [TestMethod]
    public void SphericalKMeansRecoversSeparatedDirectionsWhateverTheNorms()
    {
        var (points, truth, directions) = Clusters(k: 6, perCluster: 40, d: 16, spread: 0.05, seed: 3);
        var result = SphericalKMeans.Fit(points, 6, seed: 1);
        var found = result.Assignment.data<long>().ToArray();
        // Same partition up to relabelling: every true cluster maps to exactly one found cluster, and back.
        var pairs = truth.Zip(found).Distinct().ToList();
        Assert.HasCount(6, pairs, string.Join(" ", pairs));
        Assert.AreEqual(6, pairs.Select(p => p.Second).Distinct().Count());
        // Each centre is (nearly) a true direction, and unit length.
        var cosine = result.Directions.matmul(directions.t()).max(1).values.data<float>().ToArray();
        Assert.IsTrue(cosine.All(c => c > 0.99), string.Join(", ", cosine));
        Assert.AreEqual(1.0, result.Directions.norm(1).min().item<float>(), 1e-5);
        Assert.IsGreaterThan(0.99, result.MeanCosine);
        // Deterministic for a seed.
        var again = SphericalKMeans.Fit(points, 6, seed: 1);
        Assert.IsTrue(again.Directions.eq(result.Directions).all().item<bool>());
    }

    [TestMethod]
    public void FewerPointsThanCentresGiveDistinctCentres()
    {
        var (points, _, _) = Clusters(k: 2, perCluster: 2, d: 8, spread: 0.1, seed: 4);
        var result = SphericalKMeans.Fit(points, 10, seed: 2);
        Assert.AreEqual(10L, result.Directions.shape[0]);
        var gram = result.Directions.matmul(result.Directions.t()) - eye(10);
        Assert.IsLessThan(1.0 - 1e-6, gram.max().item<float>(), "no two centres coincide");
    }

    [TestMethod]
    public void TheBankStartsAtTheCentresWithEqualNormsSoItsDotProductChoiceIsTheClustering()
    {
        var (points, _, _) = Clusters(k: 5, perCluster: 30, d: 12, spread: 0.08, seed: 5);
        using var bank = new SentencePrototypeBank(12, 5);
        var result = bank.InitializeFromSentences(points, seed: 7);
        var weight = bank.embed.weight!.detach();
        var norms = weight.norm(1).data<float>().ToArray();
        double meanNorm = points.norm(1).mean().item<float>();
        foreach (var n in norms)
            Assert.AreEqual(meanNorm, n, 1e-4 * meanNorm);
        bank.eval();
        var chosen = bank.call(points).Index.data<long>().ToArray();
        CollectionAssert.AreEqual(result.Assignment.data<long>().ToArray(), chosen);
    }

    [TestMethod]
    public void ARestartMovesExactlyTheDeadPrototypesOntoTheGivenSentences()
    {
        using var bank = new SentencePrototypeBank(4, 6);
        var before = bank.embed.weight!.detach().clone();
        var sentences = tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [2, 4]);
        bank.Reseed([1, 4], sentences);
        var after = bank.embed.weight!.detach();
        Assert.IsTrue(after[1].eq(sentences[0]).all().item<bool>());
        Assert.IsTrue(after[4].eq(sentences[1]).all().item<bool>());
        foreach (var row in new[] { 0, 2, 3, 5 })
            Assert.IsTrue(after[row].eq(before[row]).all().item<bool>(), $"row {row} untouched");
        Assert.Throws<ArgumentException>(() => bank.Reseed([0, 1, 2], sentences));
    }

    [TestMethod]
    public void UsagePerplexityMatchesHandComputedValues()
    {
        Assert.AreEqual(4.0, PrototypeUsage.PerplexityOf([3, 3, 3, 3]), 1e-12);
        Assert.AreEqual(1.0, PrototypeUsage.PerplexityOf([0, 9, 0, 0]), 1e-12);
        // p = (1/2, 1/4, 1/4): H = 1.5 ln 2, perplexity 2^1.5.
        Assert.AreEqual(Math.Pow(2, 1.5), PrototypeUsage.PerplexityOf([2, 1, 1, 0]), 1e-12);
        Assert.AreEqual(0.0, PrototypeUsage.PerplexityOf([0, 0]));
    }
}
