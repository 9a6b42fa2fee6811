using Prior.MLNet.Samples;

namespace Prior.MLNet.Tests.Samples;

/// <summary>The API samples run on synthetic data, in order, and do what each shows.</summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class SamplesTests
{
    [TestMethod]
    [Timeout(900_000, CooperativeCancellation = true)]
    public void EverySampleRunsAndDoesWhatItShows()
    {
        var data = SampleData.Prepare(SyntheticFixture.NewTempFolder(), studies: 300, perClass: 40);

        PretrainSample.Run(data, [8, 1, 1]);
        Assert.IsTrue(File.Exists(data.ModelPath), "the pretraining sample writes the model the others read");

        double zeroShot = ZeroShotSample.Run(data);
        Assert.IsTrue(zeroShot is >= 0 and <= 1, $"accuracy {zeroShot}");

        // The paper's evaluations through public calls only (the samples see nothing internal).
        var figures = EvaluationSample.Run(data);
        Assert.AreEqual(zeroShot, figures.ZeroShot.Accuracy, 1e-12, "the pipeline and the evaluation call score alike");
        Assert.AreEqual(200, figures.ZeroShot.Scored);
        Assert.IsGreaterThan(1, figures.Retrieval.Pairs);
        Assert.IsTrue(figures.Retrieval.ImageToTextP5 is >= 0 and <= 1);
        Assert.HasCount(2, figures.LinearProbe);
        Assert.IsTrue(figures.LinearProbe[^1].MeanAuc is >= 0 and <= 1, $"{figures.LinearProbe[^1].MeanAuc}");
        Assert.AreEqual(figures.Retrieval.Pairs, figures.Drafts.Reports, "one draft per held-out study");
        Assert.IsTrue(figures.Drafts.RougeL is > 0 and <= 1);

        // Learning: a linear probe on the embeddings of 60 held-out images beats the five classes' chance (0.2).
        double probe = EmbeddingsIntoTrainerSample.Run(data);
        Assert.IsGreaterThan(0.3, probe, $"held-out accuracy {probe}");

        // The loaded pipeline (a fresh MLContext, through a PredictionEngine) predicts exactly as the fitted one.
        var (same, total) = SaveLoadSample.Run(data);
        Assert.AreEqual(200, total);
        Assert.AreEqual(total, same);

        // At the network's own image size ML.NET's resize changes nothing: the ONNX graph classifies as TorchSharp.
        var (agree, images) = OnnxDeploymentSample.Run(data);
        Assert.AreEqual(200, images);
        Assert.IsGreaterThanOrEqualTo(images - 2, agree, $"{agree} of {images}");
    }
}
