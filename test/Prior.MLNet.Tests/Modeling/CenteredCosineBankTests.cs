using Prior.MLNet.Modeling;
using Prior.MLNet.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

/// <summary>
/// The bank's two logit kinds (<see cref="PrototypeLogits"/>) against float64 recomputations, the fixed centre, and
/// the reason the centred cosine exists: on anisotropic sentence vectors the dot product's logits are so close
/// together that training's Gumbel draw picks prototypes nearly at random.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class CenteredCosineBankTests
{
    private static double[,] ToArray(Tensor t)
    {
        var values = t.detach().to_type(ScalarType.Float64).data<double>().ToArray();
        int rows = (int)t.shape[0],
            cols = (int)t.shape[1];
        var result = new double[rows, cols];
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            result[i, j] = values[i * cols + j];
        return result;
    }

    [TestMethod]
    public void LogitsMatchAFloat64Recomputation()
    {
        var g = new Generator(3);
        var x = randn([5, 8], generator: g);
        foreach (var kind in new[] { PrototypeLogits.DotProduct, PrototypeLogits.CenteredCosine })
        {
            using var bank = new SentencePrototypeBank(8, 4, logits: kind, logitScale: 7);
            using (no_grad())
            {
                bank.embed.weight!.copy_(randn([4, 8], generator: g));
                bank.center?.copy_(randn([8], generator: g));
            }
            var actual = ToArray(bank.Logits(x));
            var xs = ToArray(x);
            var es = ToArray(bank.embed.weight!);
            var mu = bank.center is null ? new double[8] : bank.center.to_type(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0; i < 5; i++)
            {
                for (int k = 0; k < 4; k++)
                {
                    double expected;
                    if (kind == PrototypeLogits.DotProduct)
                    {
                        expected = Enumerable.Range(0, 8).Sum(j => xs[i, j] * es[k, j]);
                    }
                    else
                    {
                        double dot = 0,
                            nx = 0,
                            ne = 0;
                        for (int j = 0; j < 8; j++)
                        {
                            double a = xs[i, j] - mu[j],
                                b = es[k, j] - mu[j];
                            dot += a * b;
                            nx += a * a;
                            ne += b * b;
                        }
                        expected = 7 * dot / Math.Sqrt(nx * ne);
                    }
                    Assert.AreEqual(expected, actual[i, k], 1e-5, $"{kind} logit [{i}, {k}]");
                }
            }
        }
    }

    [TestMethod]
    public void OnlyTheCenteredBankHasACenterInItsStateDict()
    {
        // The original's checkpoints have no such key: a dot-product bank must keep their key set exactly.
        using var original = new SentencePrototypeBank(8, 4);
        CollectionAssert.AreEqual(new[] { "embed.weight" }, original.state_dict().Keys.ToArray());
        using var centered = new SentencePrototypeBank(8, 4, logits: PrototypeLogits.CenteredCosine);
        CollectionAssert.AreEquivalent(new[] { "embed.weight", "center" }, centered.state_dict().Keys.ToArray());
        Assert.IsFalse(centered.parameters().Any(p => p.shape.SequenceEqual(new long[] { 8 })), "the centre is a buffer, not trained");
    }

    [TestMethod]
    public void TheCenterIsSetFromSentencesAndTrainingLeavesItThere()
    {
        using var bank = new SentencePrototypeBank(3, 2, logits: PrototypeLogits.CenteredCosine);
        bank.SetCenter(tensor(new float[] { 2, 0, 0, 0, 4, 0, 0, 0, 6 }, [3, 3]));
        CollectionAssert.AreEqual(new[] { 2 / 3f, 4 / 3f, 2f }, bank.center!.data<float>().ToArray());
        var before = bank.center.data<float>().ToArray();
        bank.train();
        bank.call(randn(2, 4, 3) * 50, ones(2, 4, ScalarType.Bool));
        CollectionAssert.AreEqual(
            before,
            bank.center.data<float>().ToArray(),
            "fixed once set: a running centre follows drifting sentences and the bank collapsed"
        );
        Assert.Throws<ArgumentException>(() => bank.SetCenter(zeros(0, 3)));
        using var dot = new SentencePrototypeBank(3, 2);
        dot.SetCenter(ones(2, 3)); // nothing to set
        Assert.IsNull(dot.center);
    }

    [TestMethod]
    public void TheCenterFollowsTheModuleToAnotherDtype()
    {
        // Module.to replaces registered buffers; the field the logits read must be the moved one (on CUDA, a stale
        // field would sit on the wrong device).
        using var bank = new SentencePrototypeBank(4, 3, logits: PrototypeLogits.CenteredCosine);
        bank.to(ScalarType.Float64);
        Assert.AreEqual(ScalarType.Float64, bank.center!.dtype);
        Assert.AreEqual(ScalarType.Float64, bank.state_dict()["center"].dtype);
        Assert.AreEqual(ScalarType.Float64, bank.Logits(ones(2, 4, ScalarType.Float64)).dtype);
    }

    // Sentence vectors as stage 1 leaves them at demo scale: a large shared component (norm 6.6), each sentence a small
    // step (0.6) toward one of 8 directions, plus jitter. Returns the vectors and each one's true direction.
    private static (Tensor Sentences, int[] Truth) Anisotropic(int perCluster, Generator g)
    {
        const int d = 64,
            k = 8;
        var shared = nn.functional.normalize(randn([d], generator: g), dim: 0) * 6.6;
        var directions = nn.functional.normalize(randn([k, d], generator: g), dim: 1) * 0.6;
        var truth = Enumerable.Range(0, k * perCluster).Select(i => i / perCluster).ToArray();
        var index = tensor(truth.Select(t => (long)t).ToArray());
        var sentences = shared + directions.index_select(0, index) + randn([k * perCluster, d], generator: g) * 0.02;
        return (sentences, truth);
    }

    [TestMethod]
    public void OnAnisotropicSentencesTrainingsSampleFollowsTheNoiseFreeChoiceOnlyWithTheCenteredCosine()
    {
        var g = new Generator(21);
        var (sentences, truth) = Anisotropic(50, g);
        var agreement = new Dictionary<PrototypeLogits, double>();
        foreach (var kind in new[] { PrototypeLogits.DotProduct, PrototypeLogits.CenteredCosine })
        {
            using var bank = new SentencePrototypeBank(64, 8, logits: kind);
            bank.InitializeFromSentences(sentences, seed: 4);
            var noise = new Generator(5);
            bank.NoiseSource = (rows, k) => rand([rows, k], generator: noise).clamp(1e-10, 1 - 1e-7).log().neg().log().neg();
            bank.eval();
            var noiseFree = bank.call(sentences).Index.data<long>().ToArray();
            // Both starts group the sentences by direction (purity: the share of sentences whose prototype's majority
            // direction is theirs; k-means can land in a local optimum that merges two groups, here the centred one
            // does at 0.875), so what differs is how training samples among the prototypes.
            double purity =
                noiseFree.Zip(truth).GroupBy(p => p.First).Sum(group => group.GroupBy(p => p.Second).Max(t => t.Count()))
                / (double)truth.Length;
            Console.WriteLine($"{kind}: purity of the noise-free choice {purity:0.000}");
            Assert.IsGreaterThanOrEqualTo(0.85, purity, $"{kind}: purity of the k-means start's choice");
            bank.train();
            var sampled = bank.call(sentences).Index.data<long>().ToArray();
            agreement[kind] = noiseFree.Zip(sampled).Count(p => p.First == p.Second) / (double)noiseFree.Length;
        }
        Console.WriteLine(
            $"sampled = noise-free choice: dot product {agreement[PrototypeLogits.DotProduct]:0.000}, centred cosine "
                + $"{agreement[PrototypeLogits.CenteredCosine]:0.000}"
        );
        // Chance is 1/8. The dot product's logits differ by about |step|^2 = 0.36 against Gumbel noise of sd 1.28
        // (measured 0.18); the centred cosine's by several units (0.92: the misses are the sentences of the group
        // k-means split in two, which sit between two prototypes).
        Assert.IsLessThan(0.3, agreement[PrototypeLogits.DotProduct]);
        Assert.IsGreaterThan(0.9, agreement[PrototypeLogits.CenteredCosine]);
    }

    [TestMethod]
    public void TheCenteredStartPutsTheCenterAtTheMeanAndThePrototypesAtEqualDistanceFromIt()
    {
        var (sentences, _) = Anisotropic(20, new Generator(8));
        using var bank = new SentencePrototypeBank(64, 8, logits: PrototypeLogits.CenteredCosine);
        bank.InitializeFromSentences(sentences, seed: 1);
        var mean = sentences.mean([0]);
        Assert.IsLessThan(1e-5, (bank.center! - mean).abs().max().item<float>());
        double radius = (sentences - mean).norm(1).mean().item<float>();
        foreach (var distance in (bank.embed.weight!.detach() - mean).norm(1).data<float>().ToArray())
            Assert.AreEqual(radius, distance, 1e-4 * radius);
    }

    [TestMethod]
    public void ACenteredCosineModelKeepsItsKindAndCenterThroughTheModelFile()
    {
        var tokenizer = TrainingFixture.Instance.Tokenizer;
        manual_seed(4);
        using var model = new PriorModel(
            PriorModelOptions.Tiny with
            {
                PrototypeLogits = PrototypeLogits.CenteredCosine,
                PrototypeLogitScale = 6,
            },
            tokenizer.VocabularySize
        );
        using (no_grad())
            model.sentence_bank.center!.copy_(randn_like(model.sentence_bank.center) + 2);
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "centered.prior");
        PriorModelFile.Save(path, model, tokenizer, usePrototypes: true);
        var loaded = PriorModelFile.Load(path);
        using var restored = loaded.Model;
        Assert.AreEqual(PrototypeLogits.CenteredCosine, restored.Options.PrototypeLogits);
        Assert.AreEqual(6.0, restored.sentence_bank.LogitScale);
        Assert.IsTrue(restored.sentence_bank.center!.eq(model.sentence_bank.center).all().item<bool>());
        var x = randn([3, restored.Options.EmbeddingDim], generator: new Generator(2));
        Assert.IsTrue(restored.sentence_bank.Logits(x).allclose(model.sentence_bank.Logits(x)));
    }
}
