using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Transforms;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>Image transformers and commands over inputs some of which cannot be read: a named failure, or a skip with the reason.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class UnreadableImageTests
{
    private sealed class Input
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private static string Broken(string name) => Path.Combine(RepositoryPaths.TestData, "images", name);

    private static (MLContext Ml, IDataView Data, string[] Paths) Rows()
    {
        var good = TrainingFixture.Instance.Studies.Take(2).Select(s => s.ImagePaths[0]).ToArray();
        string[] paths = [good[0], Broken("empty.jpg"), Broken("truncated.jpg"), good[1], Broken("text.jpg")];
        var ml = new MLContext(seed: 1);
        return (ml, ml.Data.LoadFromEnumerable(paths.Select(p => new Input { ImagePath = p })), paths);
    }

    [TestMethod]
    public void ByDefaultTheFirstUnreadableImageStopsTheCursorNamingItsRowAndFile()
    {
        var (ml, data, paths) = Rows();
        var embedded = ml.Transforms.PriorImageEmbedding(TestNetwork.Instance, batchSize: 2).Fit(data).Transform(data);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => embedded.GetColumn<float[]>("ImageEmbedding").ToList());
        StringAssert.StartsWith(error.Message, $"Row 2: {paths[1]}: empty file (0 bytes), not an image.");
        StringAssert.Contains(error.Message, "UnreadableImageHandling.Skip");
    }

    [TestMethod]
    public void AFailureInABatchDecodedAheadSurfacesAtThatBatchNamingItsRow()
    {
        // Batch 2 (rows 3-4) is decoded on a worker thread while batch 1 is in the network; its failure must not
        // cost batch 1's rows, and must name row 4.
        var good = TrainingFixture.Instance.Studies.Take(3).Select(s => s.ImagePaths[0]).ToArray();
        string[] paths = [good[0], good[1], good[2], Broken("empty.jpg"), good[0]];
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(paths.Select(p => new Input { ImagePath = p }));
        var embedded = ml.Transforms.PriorImageEmbedding(TestNetwork.Instance, batchSize: 2).Fit(data).Transform(data);
        using var cursor = embedded.GetRowCursor([embedded.Schema["ImageEmbedding"]]);
        var getter = cursor.GetGetter<VBuffer<float>>(embedded.Schema["ImageEmbedding"]);
        VBuffer<float> value = default;
        for (int row = 0; row < 2; row++)
        {
            Assert.IsTrue(cursor.MoveNext());
            getter(ref value);
            Assert.IsTrue(value.DenseValues().All(float.IsFinite));
        }
        var error = Assert.ThrowsExactly<InvalidDataException>(() => cursor.MoveNext());
        StringAssert.StartsWith(error.Message, $"Row 4: {paths[3]}: empty file (0 bytes), not an image.");
    }

    [TestMethod]
    public void SkippingGivesMissingOutputsAndTheReasonWhileTheOtherRowsAreUnchanged()
    {
        var (ml, data, paths) = Rows();
        var network = TestNetwork.Instance;
        var pipeline = ml
            .Transforms.PriorImageEmbedding(network, batchSize: 2, unreadableImages: UnreadableImageHandling.Skip)
            .Append(
                ml.Transforms.PriorZeroShotClassification(
                    network,
                    ZeroShotPrompts.CheXpert5,
                    unreadableImages: UnreadableImageHandling.Skip,
                    errorColumnName: "ZeroShotError"
                )
            );
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var embeddings = scored.GetColumn<float[]>("ImageEmbedding").ToArray();
        var errors = scored.GetColumn<string>("ImageError").ToArray();
        var labels = scored.GetColumn<uint>("PredictedLabel").ToArray();
        var zeroShotErrors = scored.GetColumn<string>("ZeroShotError").ToArray();
        CollectionAssert.AreEqual(new[] { "", "", "" }, new[] { errors[0], errors[3], zeroShotErrors[0] });
        StringAssert.StartsWith(errors[1], $"{paths[1]}: empty file");
        StringAssert.StartsWith(errors[2], $"{paths[2]}: truncated");
        StringAssert.StartsWith(errors[4], $"{paths[4]}: not an image");
        Assert.AreEqual(errors[2], zeroShotErrors[2]);
        foreach (int bad in new[] { 1, 2, 4 })
        {
            Assert.IsTrue(embeddings[bad].All(float.IsNaN), $"row {bad + 1} is missing");
            Assert.AreEqual(0u, labels[bad], "the missing key");
        }
        // The readable rows embed as they do without the broken ones (to float rounding: the batches differ).
        var alone = ml.Data.LoadFromEnumerable(new[] { paths[0], paths[3] }.Select(p => new Input { ImagePath = p }));
        var reference = ml
            .Transforms.PriorImageEmbedding(network)
            .Fit(alone)
            .Transform(alone)
            .GetColumn<float[]>("ImageEmbedding")
            .ToArray();
        for (int d = 0; d < reference[0].Length; d++)
        {
            Assert.AreEqual(reference[0][d], embeddings[0][d], 1e-5f);
            Assert.AreEqual(reference[1][d], embeddings[3][d], 1e-5f);
        }
        Assert.IsTrue(labels[0] >= 1 && labels[3] >= 1);

        // The choice is saved with the model.
        var file = Path.Combine(SyntheticFixture.NewTempFolder(), "skipping.zip");
        ml.Model.Save(model, data.Schema, file);
        var reloaded = ml.Model.Load(file, out _).Transform(data);
        CollectionAssert.AreEqual(errors, reloaded.GetColumn<string>("ImageError").ToArray());
    }

    [TestMethod]
    public void CommandsStopOnAnUnreadableImageUnlessToldToSkip()
    {
        var (_, _, paths) = Rows();
        var dir = SyntheticFixture.NewTempFolder();
        var model = Path.Combine(dir, "model.zip");
        TestNetwork.Instance.Save(model);
        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, paths);
        foreach (var command in new[] { "embed", "classify" })
        {
            var failed = RunPrior(command, "--model", model, "--images", list, "--out", Path.Combine(dir, command + ".tsv"));
            Assert.AreEqual(2, failed.Code, failed.Out);
            var lines = failed.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.HasCount(1, lines, failed.Err);
            Assert.AreEqual(
                $"prior {command}: row 2: {paths[1]}: empty file (0 bytes), not an image. (pass --skip-unreadable to skip such images)",
                lines[0]
            );
            Assert.IsFalse(File.Exists(Path.Combine(dir, command + ".tsv")), "nothing half-written");
        }
        // Rows are counted over the whole list, not within a batch: the good first row, then batches of one.
        File.WriteAllLines(list, [paths[0], paths[0], paths[0], paths[2]]);
        var later = RunPrior("embed", "--model", model, "--images", list, "--out", Path.Combine(dir, "later.tsv"), "--batch-size", "1");
        Assert.AreEqual(2, later.Code, later.Out);
        // (libtorch itself may warn on stderr before that, e.g. NNPACK on some processors at batch size 1)
        StringAssert.StartsWith(
            later.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1],
            $"prior embed: row 4: {paths[2]}: truncated"
        );
        File.WriteAllLines(list, paths);

        // apply: a saved ML.NET pipeline, switched to skipping by the flag.
        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<Input>());
        var pipeline = ml.Transforms.PriorImageEmbedding(TestNetwork.Instance).Fit(empty);
        var pipelineFile = Path.Combine(dir, "pipeline.zip");
        ml.Model.Save(pipeline, empty.Schema, pipelineFile);
        Assert.AreEqual(2, RunPrior("apply", "--model", pipelineFile, "--images", list, "--out", Path.Combine(dir, "a.tsv")).Code);
        var applied = RunPrior(
            "apply",
            "--model",
            pipelineFile,
            "--images",
            list,
            "--out",
            Path.Combine(dir, "a.tsv"),
            "--skip-unreadable"
        );
        Assert.AreEqual(0, applied.Code, applied.Err);
        StringAssert.Contains(applied.Out, "skipped 3 of 5 inputs");
        StringAssert.Contains(applied.Out, paths[4]);
        Assert.HasCount(6, File.ReadAllLines(Path.Combine(dir, "a.tsv")));
    }
}
