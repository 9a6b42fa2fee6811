using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Downstream;
using Prior.MLNet.Downstream;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Synthetic;
using Prior.MLNet.Trainers;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>
/// The downstream tasks as ML.NET trainers: fitted on synthetic RSNA and SIIM sets, they learn (scores well above
/// what nothing learned gives), save in a model zip, and a fresh process loads and scores them identically.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class DownstreamTrainerTests
{
    private static readonly Lazy<SyntheticDownstreamManifest> Data = new(
        () => SyntheticDownstreamGenerator.Generate(SyntheticFixture.NewTempFolder(), images: 240, imageSize: 64, seed: 21),
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    private static (IDataView Train, IDataView Test) Split(MLContext ml, IDataView all)
    {
        var split = ml.Data.TrainTestSplit(all, testFraction: 0.25, seed: 5);
        return (split.TrainSet, split.TestSet);
    }

    [TestMethod]
    public void DetectionLearnsSavesAndScoresIdenticallyInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = Split(ml, ml.Data.LoadRsnaPneumonia(Data.Value.RsnaRoot));
        var estimator = ml.MulticlassClassification.Trainers.PriorDetection(
            new PriorDetectionOptions
            {
                Pretrained = TestNetwork.Instance,
                Training = new FineTuningOptions
                {
                    Epochs = 12,
                    BatchSize = 16,
                    Seed = 3,
                },
            }
        );
        using var model = estimator.Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.EvaluatePriorDetection(scored);
        Console.WriteLine(
            $"detection: mAP {metrics.Map:0.000} (challenge {metrics.MapChallenge:0.000}), {metrics.ScoredImages} of {metrics.Images} "
                + $"images scored, threshold {model.Model.ScoreThreshold:0.00}"
        );
        // Predicting nothing scores 0 on every image with boxes; random boxes score near 0.
        Assert.IsGreaterThan(0.4, metrics.Map, "the detector finds the synthetic consolidations");
        var boxes = scored.GetColumn<float[]>("PredictedBoxes").ToList();
        var scores = scored.GetColumn<float[]>("PredictedBoxScores").ToList();
        Assert.IsTrue(boxes.Zip(scores).All(p => p.First.Length == 4 * p.Second.Length));
        Assert.IsTrue(scores.SelectMany(s => s).All(s => s >= model.Model.ScoreThreshold && s <= 1));

        var zip = Path.Combine(SyntheticFixture.NewTempFolder(), "detector.zip");
        ml.Model.Save(model, train.Schema, zip);
        var loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        try
        {
            var again = loaded.Transform(test);
            Assert.AreEqual(metrics, DetectionMetrics.Evaluate(again));
            var columns = FreshProcessApply(zip, test.GetColumn<string>("ImagePath").ToList());
            for (int i = 0; i < boxes.Count; i++)
            {
                CollectionAssert.AreEqual(boxes[i], Floats(columns["PredictedBoxes"][i]), $"row {i} boxes");
                CollectionAssert.AreEqual(scores[i], Floats(columns["PredictedBoxScores"][i]), $"row {i} scores");
            }
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void SegmentationLearnsSavesAndScoresIdenticallyInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = Split(ml, ml.Data.LoadSiimPneumothorax(Data.Value.SiimRoot));
        using var model = ml
            .BinaryClassification.Trainers.PriorSegmentation(
                new PriorSegmentationOptions
                {
                    Pretrained = TestNetwork.Instance,
                    Training = new FineTuningOptions
                    {
                        Epochs = 12,
                        BatchSize = 16,
                        Seed = 3,
                    },
                }
            )
            .Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.BinaryClassification.EvaluatePriorSegmentation(scored);
        Console.WriteLine(
            $"segmentation: Dice {metrics.Dice:0.000}, on {metrics.Positives} positives {metrics.DiceOnPositives:0.000}, IoU "
                + $"{metrics.IoU:0.000} over {metrics.Images} images"
        );
        // An empty prediction everywhere scores 0 on every positive image.
        Assert.IsGreaterThan(0.3, metrics.DiceOnPositives, "the U-Net finds the synthetic pneumothorax rims");
        var masks = scored.GetColumn<string>("PredictedEncodedPixels").ToList();
        Assert.IsTrue(masks.All(m => SiimRunLength.Check(m) is null), "every prediction is a well-formed SIIM mask");

        var zip = Path.Combine(SyntheticFixture.NewTempFolder(), "segmenter.zip");
        ml.Model.Save(model, train.Schema, zip);
        var columns = FreshProcessApply(zip, test.GetColumn<string>("ImagePath").ToList());
        CollectionAssert.AreEqual(masks, columns["PredictedEncodedPixels"]);
    }

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";

        [VectorType(1)]
        public float[] Labels { get; set; } = [];
    }

    [TestMethod]
    public void ClassificationNamesItsSlotsLearnsAndRoundTripsThroughAModelZip()
    {
        var ml = new MLContext(seed: 1);
        // RSNA's image-level target as a one-label classification, from the loader's rows.
        var rows = ml
            .Data.CreateEnumerable<RsnaPneumoniaImage>(ml.Data.LoadRsnaPneumonia(Data.Value.RsnaRoot), false)
            .Select(i => new Row { ImagePath = i.ImagePath, Labels = [i.Target ? 1 : 0] })
            .ToList();
        var train = ml.Data.LoadFromEnumerable(rows.Take(180));
        var test = ml.Data.LoadFromEnumerable(rows.Skip(180));
        using var model = ml
            .BinaryClassification.Trainers.PriorImageClassification(
                new PriorImageClassificationOptions
                {
                    Pretrained = TestNetwork.Instance,
                    LabelNames = ["Lung Opacity"],
                    Training = new FineTuningOptions { Epochs = 8, Seed = 3 },
                }
            )
            .Fit(train);
        var scored = model.Transform(test);
        VBuffer<ReadOnlyMemory<char>> names = default;
        scored.Schema["Score"].GetSlotNames(ref names);
        Assert.AreEqual("Lung Opacity", names.DenseValues().Single().ToString());
        var probabilities = scored.GetColumn<float[]>("Score").Select(s => s[0]).ToList();
        var auc = ml.BinaryClassification.EvaluatePriorImageClassification(scored)["Lung Opacity"].AreaUnderRocCurve;
        // The catalog's evaluator is ML.NET's own on the same rows.
        Assert.AreEqual(
            ml.BinaryClassification.EvaluateNonCalibrated(
                ml.Data.LoadFromEnumerable(
                    rows.Skip(180)
                        .Zip(probabilities, (r, p) => new ScoreRow
                            {
                                Label = r.Labels[0] > 0.5f,
                                Score = p,
                                PredictedLabel = p > 0.5f,
                            })
                )
            ).AreaUnderRocCurve,
            auc,
            1e-12
        );
        Console.WriteLine($"classification: AUC {auc:0.000}");
        Assert.IsGreaterThan(0.8, auc, "a bright consolidation is easy to tell");

        var zip = Path.Combine(SyntheticFixture.NewTempFolder(), "classifier.zip");
        ml.Model.Save(model, train.Schema, zip);
        var loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        try
        {
            CollectionAssert.AreEqual(probabilities, loaded.Transform(test).GetColumn<float[]>("Score").Select(s => s[0]).ToList());
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    [DoNotParallelize] // random weights start from torch's global generator, which a parallel test would also draw from
    public void TheMLContextsSeedLogAndCancellationReachTheTrainers()
    {
        var rows = new MLContext()
            .Data.CreateEnumerable<RsnaPneumoniaImage>(new MLContext().Data.LoadRsnaPneumonia(Data.Value.RsnaRoot), false)
            .Take(40)
            .Select(i => new Row { ImagePath = i.ImagePath, Labels = [i.Target ? 1 : 0] })
            .ToList();
        (List<float> Scores, List<string> Log) Fit(MLContext ml, long? seed = null, int epochs = 1)
        {
            var log = new List<string>();
            ml.Log += (_, e) =>
            {
                if (e.Source == "PriorDownstream")
                    lock (log)
                        log.Add(e.Message);
            };
            var data = ml.Data.LoadFromEnumerable(rows);
            using var model = ml
                .BinaryClassification.Trainers.PriorImageClassification(
                    new PriorImageClassificationOptions
                    {
                        LabelNames = ["Lung Opacity"],
                        Training = new FineTuningOptions { Epochs = epochs, Seed = seed },
                    }
                )
                .Fit(data);
            return (model.Transform(data).GetColumn<float[]>("Score").Select(s => s[0]).ToList(), log);
        }

        // Seed: the MLContext's, unless the options name one (as ML.NET's trainers take theirs).
        var (seven, log) = Fit(new MLContext(seed: 7));
        CollectionAssert.AreEqual(seven, Fit(new MLContext(seed: 7)).Scores, "the same MLContext seed trains the same weights");
        CollectionAssert.AreNotEqual(seven, Fit(new MLContext(seed: 8)).Scores, "another MLContext seed starts the head elsewhere");
        CollectionAssert.AreEqual(seven, Fit(new MLContext(seed: 8), seed: 7).Scores, "the options' seed wins over the MLContext's");
        // Log: a line per epoch on the MLContext's log.
        Assert.IsTrue(log.Any(l => l.Contains("epoch 1/1: loss", StringComparison.Ordinal)), string.Join(" | ", log));

        // Cancellation: before Fit, and during training (the first epoch's log line cancels; the second epoch does not run).
        var cancelled = new MLContext(seed: 7);
        MLNetSurfaceTests.CancelExecution(cancelled);
        Assert.ThrowsExactly<OperationCanceledException>(() => Fit(cancelled));
        var during = new MLContext(seed: 7);
        during.Log += (_, e) =>
        {
            if (e.Source == "PriorDownstream" && e.Message.Contains("epoch 1/3", StringComparison.Ordinal))
                MLNetSurfaceTests.CancelExecution(during);
        };
        var stopped = Assert.ThrowsExactly<OperationCanceledException>(() => Fit(during, epochs: 3));
        StringAssert.Contains(stopped.Message, "epoch 2/3");
    }

    private sealed class ScoreRow
    {
        public bool Label { get; set; }
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    [TestMethod]
    public void BadTrainingInputIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var rsna = ml.Data.LoadRsnaPneumonia(Data.Value.RsnaRoot);
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.PriorDetection(pretrained: null, labelColumnName: "Nope").Fit(rsna)
        );
        StringAssert.Contains(missing.Message, "Label column 'Nope' not found");
        var wrongType = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.PriorImageClassification(pretrained: null, labelColumnName: "Target").Fit(rsna)
        );
        StringAssert.Contains(wrongType.Message, "needs a Single vector");
        var badBox = ml.Data.LoadFromEnumerable(
            new[]
            {
                new BoxRow { ImagePath = "a.png", Boxes = [1, 2, 0, 4] },
            }
        );
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            ml.MulticlassClassification.Trainers.PriorDetection(pretrained: null).Fit(badBox)
        );
        StringAssert.Contains(error.Message, "Row 1 (a.png)");
        StringAssert.Contains(error.Message, "positive width and height");
    }

    private sealed class BoxRow
    {
        public string ImagePath { get; set; } = "";
        public float[] Boxes { get; set; } = [];
    }

    private static float[] Floats(string text) =>
        text.Length == 0 ? [] : text.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    // Runs `prior apply` on the images in another process and returns each output column's values, by row.
    private static Dictionary<string, List<string>> FreshProcessApply(string zip, IReadOnlyList<string> images)
    {
        var dir = Path.GetDirectoryName(zip)!;
        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, images);
        var output = Path.Combine(dir, "scores.tsv");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (
            var a in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "prior.dll"),
                "apply",
                "--model",
                zip,
                "--images",
                list,
                "--out",
                output,
            }
        )
            info.ArgumentList.Add(a);
        using (var process = Process.Start(info)!)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.AreEqual(0, process.ExitCode, stderr.Result);
        }
        var lines = File.ReadAllLines(output);
        var header = lines[0].Split('\t');
        var columns = header.ToDictionary(h => h, _ => new List<string>());
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split('\t');
            for (int c = 0; c < header.Length; c++)
                columns[header[c]].Add(cells[c]);
        }
        Assert.HasCount(images.Count, columns["ImagePath"]);
        return columns;
    }
}
