using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PriorTransformerTests
{
    private static PriorNetwork Network => TestNetwork.Instance;

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = string.Empty;
        public string Report { get; set; } = string.Empty;
        public string[] Sentences { get; set; } = [];
        public string Label { get; set; } = string.Empty;
    }

    private sealed class EmbeddingRow
    {
        public string ImagePath { get; set; } = string.Empty;

        [VectorType]
        public float[] ImageEmbedding { get; set; } = [];
    }

    private static List<ImageRow> Rows(int n) =>
        TrainingFixture
            .Instance.Studies.Take(n)
            .Select(
                (s, i) =>
                    new ImageRow
                    {
                        ImagePath = s.ImagePaths[0],
                        Report =
                            " FINDINGS: \n \n "
                            + string.Join(" ", s.Sentences.Skip(1))
                            + "\n \n IMPRESSION: \n \n "
                            + s.Sentences[0]
                            + "\n",
                        Sentences = s.Sentences.ToArray(),
                        Label = i % 2 == 0 ? "even" : "odd",
                    }
            )
            .ToList();

    [TestMethod]
    public void ImageEmbeddingsAreLazyBatchedNormalisedAndMatchPredictionEngine()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(40);
        var data = ml.Data.LoadFromEnumerable(rows);
        var transformer = ml.Transforms.PriorImageEmbedding(Network, batchSize: 16).Fit(data);

        // Lazy: a path that does not exist fails only when the embedding is read.
        var broken = ml.Data.LoadFromEnumerable(new[] { new ImageRow { ImagePath = "/nonexistent.jpg" } });
        var view = transformer.Transform(broken);
        Assert.AreEqual(Network.EmbeddingDim, ((VectorDataViewType)view.Schema["ImageEmbedding"].Type).Size);
        Assert.ThrowsExactly<InvalidDataException>(() => ml.Data.CreateEnumerable<EmbeddingRow>(view, false).ToList());

        var batched = ml.Data.CreateEnumerable<EmbeddingRow>(transformer.Transform(data), false).ToList();
        Assert.HasCount(40, batched);
        using var engine = ml.Model.CreatePredictionEngine<ImageRow, EmbeddingRow>(transformer);
        for (int i = 0; i < 40; i += 13)
        {
            Assert.AreEqual(1.0, Math.Sqrt(batched[i].ImageEmbedding.Sum(v => v * v)), 1e-4);
            var single = engine.Predict(rows[i]).ImageEmbedding;
            for (int d = 0; d < single.Length; d++)
                Assert.AreEqual(batched[i].ImageEmbedding[d], single[d], 1e-4, $"row {i} slot {d}");
        }
        // Consecutive predictions are not served from a stale cache.
        CollectionAssert.AreNotEqual(engine.Predict(rows[0]).ImageEmbedding, engine.Predict(rows[1]).ImageEmbedding);
    }

    [TestMethod]
    public void ReportEmbeddingsFromReportTextAndFromSentencesAgree()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(20));
        var fromText = ml.Transforms.PriorReportEmbedding(Network, "FromText", "Report").Fit(data).Transform(data);
        var both = ml.Transforms.PriorReportEmbedding(Network, "FromSentences", "Sentences").Fit(fromText).Transform(fromText);
        var a = both.GetColumn<float[]>("FromText").ToList();
        var b = both.GetColumn<float[]>("FromSentences").ToList();
        for (int i = 0; i < a.Count; i++)
        for (int d = 0; d < a[i].Length; d++)
            Assert.AreEqual(a[i][d], b[i][d], 1e-4);
        var wrong = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.PriorReportEmbedding(Network, "X", "Missing").Fit(data)
        );
        StringAssert.Contains(wrong.Message, "'Missing'");
    }

    [TestMethod]
    public void ZeroShotOutputsScoresAndAKeyTypedPredictionThatMLNetEvaluates()
    {
        var ml = new MLContext(seed: 1);
        var classes = ChexpertLabels.CompetitionFive;
        var rows = Rows(30)
            .Select(
                (r, i) =>
                {
                    r.Label = classes[i % 5];
                    return r;
                }
            )
            .ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml
            .Transforms.Conversion.MapValueToKey(
                "LabelKey",
                "Label",
                keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new { Label = c }))
            )
            .Append(ml.Transforms.PriorZeroShotClassification(Network, ZeroShotPrompts.CheXpert5));
        var scored = pipeline.Fit(data).Transform(data);
        Assert.IsInstanceOfType<KeyDataViewType>(scored.Schema["PredictedLabel"].Type);
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "LabelKey");
        Assert.AreEqual(30, metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()));
        var scores = scored.GetColumn<float[]>("Score").ToList();
        // softmax(g) + 0.5·softmax(l): every row sums to 1.5.
        Assert.IsTrue(scores.All(s => Math.Abs(s.Sum() - 1.5) < 1e-4 && s.Length == 5));
        var predicted = scored.GetColumn<uint>("PredictedLabel").ToList();
        for (int i = 0; i < scores.Count; i++)
            Assert.AreEqual((uint)(Array.IndexOf(scores[i], scores[i].Max()) + 1), predicted[i]);
    }

    [TestMethod]
    public void EmbeddingsChainIntoAnMLNetTrainer()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(60));
        var pipeline = ml
            .Transforms.PriorImageEmbedding(Network)
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "ImageEmbedding", maximumNumberOfIterations: 10))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.AreEqual(60, metrics.ConfusionMatrix.Counts.Sum(r => r.Sum()));
        Assert.IsTrue(metrics.MicroAccuracy is >= 0 and <= 1);
    }

    [TestMethod]
    public void PriorPretrainFitsOnLoadMimicCxrAndAddsBothEmbeddings()
    {
        var ml = new MLContext(seed: 1);
        var messages = 0;
        ml.Log += (_, e) =>
        {
            if (e.Source.Contains("PriorTrainer", StringComparison.Ordinal))
                Interlocked.Increment(ref messages);
        };
        var studies = ml.Data.TakeRows(ml.Data.LoadMimicCxr(TrainingFixture.Instance.Root), 48);
        var estimator = ml.Transforms.PriorPretrain(
            new PriorPretrainOptions
            {
                EpochsPerStage = [1, 0, 0],
                BatchSize = 16,
                Device = ComputeDevice.Cpu,
            }
        );
        var shape = estimator.GetOutputSchema(PriorSchemaShapes.ShapeOf(studies.Schema));
        Assert.IsTrue(shape.Any(c => c.Name == "ImageEmbedding") && shape.Any(c => c.Name == "ReportEmbedding"));
        var transformer = estimator.Fit(studies);
        Assert.HasCount(3, transformer.TrainingResult!.History);
        // The public view of the run is the trainer's own record, not a copy that could drift.
        Assert.AreSame(transformer.TrainingResult.History, transformer.History);
        Assert.IsTrue(transformer.History.All(p => p.Stage == Prior.MLNet.Modeling.PriorStage.Alignment), "only stage 1 ran");
        Assert.IsEmpty(transformer.InitialWeightReports, "training started from random weights");
        Assert.IsEmpty(transformer.PrototypeUsage, "stages 2-3 did not run");
        Assert.IsGreaterThan(0, messages, "training progress reached mlContext.Log");
        var output = transformer.Transform(studies);
        var images = output.GetColumn<float[]>("ImageEmbedding").ToList();
        var reports = output.GetColumn<float[]>("ReportEmbedding").ToList();
        Assert.HasCount(48, images);
        Assert.AreEqual(1.0, Math.Sqrt(reports[5].Sum(v => v * v)), 1e-4);

        var wrong = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.PriorPretrain(new PriorPretrainOptions { SentencesColumnName = "Findings" }).Fit(studies)
        );
        StringAssert.Contains(wrong.Message, "'Findings'");
        StringAssert.Contains(wrong.Message, "text vector of sentences");
    }
}
