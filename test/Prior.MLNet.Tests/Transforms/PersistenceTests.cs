using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PersistenceTests
{
    private sealed class Row
    {
        public string ImagePath { get; set; } = string.Empty;
        public string[] Sentences { get; set; } = [];
        public string Label { get; set; } = string.Empty;
    }

    private static List<Row> Rows(int n) =>
        TrainingFixture
            .Instance.Studies.Take(n)
            .Select(
                (s, i) =>
                    new Row
                    {
                        ImagePath = s.ImagePaths[0],
                        Sentences = s.Sentences.ToArray(),
                        Label = i % 3 == 0 ? "a" : "b",
                    }
            )
            .ToList();

    private static void AssertSameColumn(IDataView a, IDataView b, string column)
    {
        var x = a.GetColumn<float[]>(column).ToList();
        var y = b.GetColumn<float[]>(column).ToList();
        Assert.HasCount(x.Count, y);
        for (int i = 0; i < x.Count; i++)
            CollectionAssert.AreEqual(x[i], y[i], $"{column} row {i}");
    }

    [TestMethod]
    public void EveryTransformerRoundTripsThroughAnMLNetModelZip()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(20));
        var pipeline = ml
            .Transforms.PriorImageEmbedding(TestNetwork.Instance, localOutputColumnName: "Local")
            .Append(ml.Transforms.PriorReportEmbedding(TestNetwork.Instance))
            .Append(ml.Transforms.PriorZeroShotClassification(TestNetwork.Instance, ZeroShotPrompts.CheXpert5));
        var model = pipeline.Fit(data);
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "pipeline.zip");
        ml.Model.Save(model, data.Schema, path);

        var loaded = new MLContext(seed: 2).Model.Load(path, out var schema);
        Assert.AreEqual("ImagePath", schema[0].Name);
        var before = model.Transform(data);
        var after = loaded.Transform(data);
        foreach (var column in new[] { "ImageEmbedding", "Local", "ReportEmbedding", "Score" })
            AssertSameColumn(before, after, column);
        CollectionAssert.AreEqual(before.GetColumn<uint>("PredictedLabel").ToList(), after.GetColumn<uint>("PredictedLabel").ToList());
    }

    [TestMethod]
    public void AFreshProcessLoadsAChainWithAnMLNetTrainerAndScoresIdentically()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(60);
        // Labels are keyed before the saved chain, so that scoring needs images only.
        var data = ml
            .Transforms.Conversion.MapValueToKey("LabelKey", "Label")
            .Fit(ml.Data.LoadFromEnumerable(rows))
            .Transform(ml.Data.LoadFromEnumerable(rows));
        var pipeline = ml
            .Transforms.PriorImageEmbedding(TestNetwork.Instance)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "ImageEmbedding", maximumNumberOfIterations: 20))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedClass", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var dir = SyntheticFixture.NewTempFolder();
        var zip = Path.Combine(dir, "chain.zip");
        ml.Model.Save(model, data.Schema, zip);
        var expected = model.Transform(data).GetColumn<float[]>("Score").ToList();

        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, rows.Select(r => r.ImagePath));
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
        var header = lines[0].Split('\t').ToList();
        int scoreColumn = header.IndexOf("Score");
        Assert.IsGreaterThan(0, scoreColumn);
        for (int i = 0; i < rows.Count; i++)
        {
            var scores = lines[i + 1]
                .Split('\t')[scoreColumn]
                .Split(' ')
                .Select(v => float.Parse(v, CultureInfo.InvariantCulture))
                .ToArray();
            CollectionAssert.AreEqual(expected[i], scores, $"row {i}");
        }
    }

    [TestMethod]
    public void ATruncatedModelGivesAClearError()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows(4));
        var model = ml.Transforms.PriorReportEmbedding(TestNetwork.Instance).Fit(data);
        var dir = SyntheticFixture.NewTempFolder();
        var path = Path.Combine(dir, "model.zip");
        ml.Model.Save(model, data.Schema, path);
        var bytes = File.ReadAllBytes(path);
        var truncated = Path.Combine(dir, "truncated.zip");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        // ML.NET's own loader (not ours) reports a damaged zip so; PriorNetwork.Load names the file (ModelFileTests).
        var ex = Assert.ThrowsExactly<FormatException>(() => ml.Model.Load(truncated, out _));
        StringAssert.StartsWith(ex.Message, "Failed to open a zip archive");

        var foreign = Path.Combine(dir, "foreign.zip");
        File.WriteAllText(foreign, "not a zip at all");
        var foreignError = Assert.ThrowsExactly<FormatException>(() => ml.Model.Load(foreign, out _));
        StringAssert.StartsWith(foreignError.Message, "Failed to open a zip archive");
    }
}

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ImageInputFormTests
{
    private sealed class PathRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    [TestMethod]
    public void MLImageColumnsFromLoadImagesEmbedLikeTheirFiles()
    {
        var data = TrainingFixture.Instance;
        var result = new PriorTrainer(TrainingFixture.Options([1, 0, 0])).Train(data.Studies.Take(32).ToList(), data.Tokenizer);
        using var network = new PriorNetwork(result.Model, data.Tokenizer, usePrototypes: false);
        var ml = new MLContext(seed: 1);
        var rows = data.Studies.Take(6).Select(s => new PathRow { ImagePath = s.ImagePaths[0] }).ToList();
        var view = ml.Data.LoadFromEnumerable(rows);
        var fromPaths = ml.Transforms.PriorImageEmbedding(network, "FromPath").Fit(view).Transform(view);
        var withImages = ml
            .Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "ImagePath")
            .Fit(fromPaths)
            .Transform(fromPaths);
        var both = ml.Transforms.PriorImageEmbedding(network, "FromImage", "Image").Fit(withImages).Transform(withImages);
        var a = both.GetColumn<float[]>("FromPath").ToList();
        var b = both.GetColumn<float[]>("FromImage").ToList();
        for (int i = 0; i < a.Count; i++)
        {
            double cosine = a[i].Zip(b[i], (x, y) => (double)x * y).Sum();
            Assert.IsGreaterThan(0.99, cosine, $"row {i}: the MLImage path decodes to a different picture");
        }
        var wrong = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.PriorImageEmbedding(network, "X", "FromPath").Fit(both)
        );
        StringAssert.Contains(wrong.Message, "'FromPath'");
    }
}
