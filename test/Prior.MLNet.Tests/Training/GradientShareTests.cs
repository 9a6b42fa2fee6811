using Prior.MLNet.Modeling;
using Prior.MLNet.Tests.Modeling;
using Prior.MLNet.Training;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Training;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class GradientShareTests
{
    [TestMethod]
    public void EachTermsTowerGradientMatchesAFloat64RecomputationAndTheGradientsAreLeftZeroed()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        using var model = new PriorModel(PriorModelOptions.Tiny, vocabularySize: 200);
        model.train();
        var losses = model.call(PriorModelTests.RandomBatch(model.Options, 3, 200), PriorStage.Reconstruction);

        var share = GradientShare.Measure(model, losses, PriorStage.Reconstruction, epoch: 0);

        CollectionAssert.AreEquivalent(losses.Terms.Keys.ToArray(), share.Terms.Keys.ToArray());
        Assert.IsTrue(
            model.parameters().All(p => p.grad is null || p.grad.abs().max().item<float>() == 0),
            "Measure must leave the gradients zeroed for the step's own backward pass."
        );
        Assert.AreEqual(1.0, share.Terms["global"].ImageCosineWithGlobal, 1e-6);
        Assert.AreEqual(1.0, share.Terms["global"].TextCosineWithGlobal, 1e-6);

        // Independent recomputation: one term at a time, squares summed on the host in float64.
        var globalImage = ImageGradient(model, losses, "global");
        foreach (var name in new[] { "global", "reconstruction", "spg" })
        {
            var g = ImageGradient(model, losses, name);
            double norm = Math.Sqrt(g.Sum(v => v * v));
            Assert.AreEqual(norm, share.Terms[name].ImageNorm, 1e-4 * norm + 1e-9, name);
            double dot = g.Zip(globalImage, (a, b) => a * b).Sum();
            double cosine = dot / (norm * Math.Sqrt(globalImage.Sum(v => v * v)));
            Assert.AreEqual(cosine, share.Terms[name].ImageCosineWithGlobal, 1e-4, name);
        }
        Assert.IsTrue(share.Terms.Values.All(t => t.TextNorm >= 0 && double.IsFinite(t.TextNorm)));
        StringAssert.Contains(share.ToString(), "stage 3 epoch 1");
        Assert.AreEqual("global", share.Reference);
    }

    // Decoupled, the bank path's global term reaches no tower: the cosines are taken with stage 1's own global term.
    [TestMethod]
    public void DecoupledStagesMeasureAgainstStageOnesGlobalTerm()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        using var model = new PriorModel(PriorModelOptions.Tiny with { DecoupledPrototypeStages = true }, vocabularySize: 200);
        model.train();
        var losses = model.call(PriorModelTests.RandomBatch(model.Options, 3, 200), PriorStage.Reconstruction);

        var share = GradientShare.Measure(model, losses, PriorStage.Reconstruction, epoch: 0);

        Assert.AreEqual("globalRaw", share.Reference);
        Assert.AreEqual(0, share.Terms["global"].ImageNorm);
        Assert.AreEqual(1.0, share.Terms["globalRaw"].ImageCosineWithGlobal, 1e-6);
        Assert.AreEqual(1.0, share.Terms["globalRaw"].TextCosineWithGlobal, 1e-6);
        Assert.IsTrue(double.IsFinite(share.Terms["localText"].TextCosineWithGlobal), "stage 1's local terms have a direction against it");
        StringAssert.Contains(share.ToString(), "cosine with globalRaw");
        StringAssert.Contains(share.ToString(), "global 0e0 (-)");
        Assert.IsFalse(share.ToString().Contains("NaN", StringComparison.Ordinal));
    }

    [TestMethod]
    public void WithDetachedGenerationTargetsTheGenerationLossesLeaveTheTextTowerAlone()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        using var original = new PriorModel(PriorModelOptions.Tiny, vocabularySize: 200);
        using var detached = new PriorModel(PriorModelOptions.Tiny with { DetachGenerationTargets = true }, vocabularySize: 200);
        detached.load_state_dict(original.state_dict());
        foreach (var (model, expectText) in new[] { (original, true), (detached, false) })
        {
            model.train();
            random.manual_seed(9);
            var losses = model.call(PriorModelTests.RandomBatch(model.Options, 3, 200), PriorStage.Reconstruction);
            var share = GradientShare.Measure(model, losses, PriorStage.Reconstruction, epoch: 0);
            foreach (var term in new[] { "spg", "kl", "gpa" })
            {
                Assert.AreEqual(
                    expectText,
                    share.Terms[term].TextNorm > 0,
                    $"{term}: text-tower gradient {share.Terms[term].TextNorm} (detached: {!expectText})"
                );
                Assert.IsGreaterThan(0, share.Terms[term].ImageNorm, $"{term} must still train the image tower");
            }
            Assert.IsGreaterThan(0, share.Terms["global"].TextNorm);
        }
    }

    private static double[] ImageGradient(PriorModel model, PriorLosses losses, string term)
    {
        foreach (var p in model.parameters())
            p.grad?.zero_();
        (losses.Terms[term] * PriorLosses.Weight(PriorStage.Reconstruction, term)).backward(retain_graph: true);
        return model
            .image_encoder.parameters()
            .SelectMany(p => p.grad is { } g ? g.to(ScalarType.Float64).flatten().data<double>().ToArray() : new double[p.numel()])
            .ToArray();
    }
}
