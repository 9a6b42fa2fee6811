using Prior.MLNet.Modeling;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Training;

/// <summary>Stages 2 and 3 learn, and the sentence bank stays in use.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PrototypeStageTests
{
    private static TrainingFixture Data => TrainingFixture.Instance;

    private static List<double> EpochMeans(PriorTrainingResult result, PriorStage stage, string term) =>
        result.History.Where(p => p.Stage == stage).GroupBy(p => p.Epoch).Select(g => g.Average(p => p.Losses[term])).ToList();

    [TestMethod]
    [DoNotParallelize]
    public void EachStagesLossesFallAndTheBankStaysInUse()
    {
        var notices = new List<string>();
        var result = new PriorTrainer(
            TrainingFixture.Options([3, 3, 3], notice: notices.Add, logits: PrototypeLogits.CenteredCosine, detachTargets: true)
        ).Train(Data.Studies.Take(160).ToList(), Data.Tokenizer);
        result.Model.Dispose();
        foreach (
            var (stage, term) in new[]
            {
                (PriorStage.Alignment, "total"),
                (PriorStage.Prototypes, "proto"),
                (PriorStage.Prototypes, "total"),
                (PriorStage.Reconstruction, "reconstruction"),
                (PriorStage.Reconstruction, "spg"),
                (PriorStage.Reconstruction, "total"),
            }
        )
        {
            var means = EpochMeans(result, stage, term);
            Console.WriteLine($"stage {(int)stage} {term}: {string.Join(", ", means.Select(m => m.ToString("0.0000")))}");
            Assert.IsLessThan(means[0], means[^1], $"stage {(int)stage}: {term} did not fall");
        }
        Assert.IsTrue(
            notices.Any(n => n.StartsWith("sentence bank initialised by spherical k-means: 32 prototypes", StringComparison.Ordinal)),
            string.Join("\n", notices)
        );
        Assert.HasCount(6, result.PrototypeUsage, "one record per epoch of stages 2 and 3");
        foreach (var usage in result.PrototypeUsage)
        {
            Console.WriteLine(usage);
            // A quarter of 32, both as training samples and as inference chooses (the figure that exposed the collapse).
            Assert.IsGreaterThanOrEqualTo(8.0, usage.Perplexity, $"the bank collapsed: {usage}");
            Assert.IsGreaterThanOrEqualTo(8.0, usage.PerplexityNoiseFree, $"the bank collapsed at inference: {usage}");
        }
    }

    [TestMethod]
    [DoNotParallelize]
    public void WithTheOriginalsDotProductTheBankCollapsesAtInferenceWhileTrainingsSamplesLookHealthy()
    {
        // What the centred cosine and the detached generation targets fix, so that the test above means something:
        // with the original's logits (and its generation losses moving the report side), training's Gumbel draw
        // still spreads sentences over the whole bank while the noise-free choice inference makes falls onto a few.
        var result = new PriorTrainer(TrainingFixture.Options([3, 3, 3])).Train(Data.Studies.Take(160).ToList(), Data.Tokenizer);
        result.Model.Dispose();
        foreach (var usage in result.PrototypeUsage)
            Console.WriteLine(usage);
        var last = result.PrototypeUsage[^1];
        Assert.IsGreaterThan(25.0, last.Perplexity, "sampled usage stays near the bank's size");
        Assert.IsLessThan(8.0, last.PerplexityNoiseFree, "noise-free usage collapses");
    }

    [TestMethod]
    [DoNotParallelize]
    public void TheOriginalsRandomStartCollapsesOntoFewPrototypes()
    {
        // What the k-means start fixes, so that the floor above means something: with the N(0, 1) start and no
        // restarts, few prototypes take every sentence.
        var result = new PriorTrainer(TrainingFixture.Options([3, 2, 0], bankStart: PrototypeInitialization.Random, restart: false)).Train(
            Data.Studies.Take(160).ToList(),
            Data.Tokenizer
        );
        result.Model.Dispose();
        foreach (var usage in result.PrototypeUsage)
            Console.WriteLine(usage);
        Assert.IsLessThan(8.0, result.PrototypeUsage[^1].Perplexity);
        Assert.AreEqual(0, result.PrototypeUsage.Sum(u => u.Reseeded));
    }
}
