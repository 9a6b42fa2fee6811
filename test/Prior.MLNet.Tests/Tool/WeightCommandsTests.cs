using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Interop;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Transforms;
using static Prior.MLNet.Tests.Tool.CommandLineTests;

namespace Prior.MLNet.Tests.Tool;

/// <summary><c>prior export</c>, <c>import</c>, <c>embed</c> and <c>classify</c> as separate processes, on a trained tiny
/// network.</summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class WeightCommandsTests
{
    private static string SavedModel(string dir)
    {
        var path = Path.Combine(dir, "model.zip");
        TestNetwork.Instance.Save(path);
        return path;
    }

    [TestMethod]
    public void LibTorchsNnpackWarningNeverReachesTheUser()
    {
        // One image on one thread takes libtorch's convolution past oneDNN to its NNPACK check, which on processors
        // NNPACK does not support (these and CI's) prints "Could not initialize NNPACK! Reason: Unsupported hardware."
        // for every convolution unless c10's log level is above WARNING.
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var list = Path.Combine(dir, "one.txt");
        File.WriteAllLines(list, [TrainingFixture.Instance.Studies[0].ImagePaths[0]]);
        string[] args = ["embed", "--model", model, "--images", list, "--out", Path.Combine(dir, "e.tsv")];
        var quiet = RunProgramWith(
            new Dictionary<string, string?> { ["OMP_NUM_THREADS"] = "1", ["TORCH_CPP_LOG_LEVEL"] = null },
            "prior",
            args
        );
        Assert.AreEqual(0, quiet.Code, quiet.Err);
        Assert.DoesNotContain("NNPACK", quiet.Err + quiet.Out);

        // The control: a user who asks for libtorch's warnings gets them, so the case above did reach the check.
        var asked = RunProgramWith(
            new Dictionary<string, string?> { ["OMP_NUM_THREADS"] = "1", ["TORCH_CPP_LOG_LEVEL"] = "WARNING" },
            "prior",
            args
        );
        Assert.AreEqual(0, asked.Code, asked.Err);
        if (!asked.Err.Contains("NNPACK", StringComparison.Ordinal))
            Assert.Inconclusive("this processor runs NNPACK, so libtorch has no NNPACK warning to silence here");
    }

    [TestMethod]
    public void PriorZeroShotAndTheLibraryCallScoreOneProtocolOnASubsetWithMultiPositiveRows()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var (csv, _, multi, none) = Evaluation.PriorEvaluationCatalogTests.SubsetWithMultiPositiveRows(dir);
        var json = Path.Combine(dir, "zero-shot.json");
        var run = RunPrior("zero-shot", "--model", model, "--chexpert", SyntheticFixture.CheXpert, "--subset", csv, "--json", json);
        Assert.AreEqual(0, run.Code, run.Err);
        Assert.AreEqual(multi + none, run.Out.Split('\n').Count(l => l.Contains("not scored: NotOneClass: ", StringComparison.Ordinal)));

        var ml = new Microsoft.ML.MLContext(seed: 1);
        using var network = MLNet.Transforms.PriorNetwork.Load(model);
        var images = ml.Data.LoadCheXpert(new MLNet.Data.CheXpert.CheXpertLoaderOptions { Root = SyntheticFixture.CheXpert, Csv = csv });
        var library = ml.PriorEvaluation().EvaluateZeroShot(network, images);
        using var figures = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.AreEqual(library.Accuracy, figures.RootElement.GetProperty("accuracy").GetDouble(), 1e-12);
        Assert.AreEqual(library.Scored, figures.RootElement.GetProperty("images").GetInt32());
        Assert.AreEqual(library.MacroF1, figures.RootElement.GetProperty("macroF1").GetDouble(), 1e-12);
    }

    [TestMethod]
    public void PriorZeroShotWithoutASubsetBuildsOneAndLeavesNothingBehind()
    {
        // Without --subset the command builds a 5x200 set from train.csv into a temporary file: it must be gone afterwards
        // (a private TMPDIR, so that no other test's files are counted).
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var temp = Directory.CreateDirectory(Path.Combine(dir, "tmp")).FullName;
        var run = RunProgramWith(
            new Dictionary<string, string?> { ["TMPDIR"] = temp },
            "prior",
            "zero-shot",
            "--model",
            model,
            "--chexpert",
            SyntheticFixture.CheXpert
        );
        Assert.AreEqual(0, run.Code, run.Err);
        StringAssert.Contains(run.Out, "scoring 1000 of the 1000 images the subset lists");
        Assert.IsEmpty(Directory.GetFiles(temp, "prior-5x200-*.csv"), "the built subset is removed once scored");
    }

    [TestMethod]
    public void ExportThenImportRoundTripsAndARenamedKeyIsNamed()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var weights = Path.Combine(dir, "prior.pt");
        var exported = RunPrior("export", "--model", model, "--out", weights);
        Assert.AreEqual(0, exported.Code, exported.Err);
        Assert.IsTrue(File.Exists(PriorWeights.SidecarPath(weights)));
        var imported = RunPrior("import", "--checkpoint", weights, "--out", Path.Combine(dir, "again.zip"));
        Assert.AreEqual(0, imported.Code, imported.Err);
        StringAssert.Contains(imported.Out, "0 missing, 0 unexpected, 0 of another shape");

        var state = StateDictFile.Read(weights).Tensors;
        state["global_image_projection.bias_renamed"] = state["global_image_projection.bias"];
        state.Remove("global_image_projection.bias");
        var renamed = Path.Combine(dir, "renamed.pt");
        StateDictFile.Write(renamed, state);
        var failed = RunPrior(
            "import",
            "--checkpoint",
            renamed,
            "--vocab",
            TrainingFixture.Instance.VocabularyPath,
            "--preset",
            "tiny",
            "--out",
            Path.Combine(dir, "bad.zip")
        );
        Assert.AreEqual(2, failed.Code, failed.Out);
        StringAssert.StartsWith(failed.Err, "prior import: ");
        Assert.HasCount(1, failed.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), "one line on standard error");
        StringAssert.Contains(failed.Out, "global_image_projection.bias_renamed");
        StringAssert.Contains(failed.Out, "missing (keep their random initialisation):\n    global_image_projection.bias");
        Assert.IsFalse(File.Exists(Path.Combine(dir, "bad.zip")));
    }

    [TestMethod]
    public void EmbedAndClassifyNameTheUnreadableInputsAndWriteTheOthers()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var images = TrainingFixture.Instance.Studies.Take(3).Select(s => s.ImagePaths[0]).ToList();
        var empty = Path.Combine(dir, "empty.jpg");
        File.WriteAllBytes(empty, []);
        var text = Path.Combine(dir, "notes.jpg");
        File.WriteAllText(text, "this is not an image");
        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, [images[0], empty, images[1], text, images[2]]);

        var embeddings = Path.Combine(dir, "embeddings.tsv");
        var embed = RunPrior("embed", "--model", model, "--images", list, "--out", embeddings, "--skip-unreadable");
        Assert.AreEqual(0, embed.Code, embed.Err);
        StringAssert.Contains(embed.Out, "skipped 2 of 5 inputs");
        StringAssert.Contains(embed.Out, empty);
        StringAssert.Contains(embed.Out, text);
        var rows = File.ReadAllLines(embeddings);
        Assert.HasCount(4, rows, string.Join("\n", rows.Take(2)));
        Assert.AreEqual(
            "Input\t" + string.Join('\t', Enumerable.Range(0, TestNetwork.Instance.EmbeddingDim).Select(d => $"Embedding.{d}")),
            rows[0],
            "a column per dimension, named as the help says"
        );
        CollectionAssert.AreEqual(images.ToArray(), rows.Skip(1).Select(r => r.Split('\t')[0]).ToArray());
        var vector = rows[1].Split('\t').Skip(1).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.HasCount(TestNetwork.Instance.EmbeddingDim, vector);
        Assert.AreEqual(1.0, Math.Sqrt(vector.Sum(v => v * v)), 1e-4, "normalised");

        var reports = Path.Combine(dir, "reports.txt");
        File.WriteAllLines(
            reports,
            ["There is a small left pleural effusion. The heart is normal in size.", "No acute cardiopulmonary process."]
        );
        var reportOut = Path.Combine(dir, "reports.tsv");
        var embedReports = RunPrior("embed", "--model", model, "--reports", reports, "--out", reportOut);
        Assert.AreEqual(0, embedReports.Code, embedReports.Err);
        Assert.HasCount(3, File.ReadAllLines(reportOut));

        var classes = Path.Combine(dir, "classes.tsv");
        var classify = RunPrior("classify", "--model", model, "--images", list, "--out", classes, "--skip-unreadable");
        Assert.AreEqual(0, classify.Code, classify.Err);
        StringAssert.Contains(classify.Out, empty);
        var scored = File.ReadAllLines(classes);
        Assert.HasCount(4, scored);
        Assert.AreEqual("ImagePath\tAtelectasis\tCardiomegaly\tConsolidation\tEdema\tPleural Effusion\tPredictedLabel", scored[0]);
        foreach (var row in scored.Skip(1))
        {
            var cells = row.Split('\t');
            var scores = cells[1..6].Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.AreEqual(scored[0].Split('\t')[1 + Array.IndexOf(scores, scores.Max())], cells[6]);
        }
        var custom = RunPrior(
            "classify",
            "--model",
            model,
            "--images",
            list,
            "--classes",
            "Pneumothorax,No Finding",
            "--out",
            Path.Combine(dir, "custom.tsv"),
            "--skip-unreadable"
        );
        Assert.AreEqual(0, custom.Code, custom.Err);
        StringAssert.StartsWith(
            File.ReadAllLines(Path.Combine(dir, "custom.tsv"))[0],
            "ImagePath\tPneumothorax\tNo Finding\tPredictedLabel"
        );
    }

    [TestMethod]
    public void AttentionDrawsAPicturePerReadableImageWithAPanelPerSentence()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var images = TrainingFixture.Instance.Studies.Take(2).Select(s => s.ImagePaths[0]).ToList();
        var empty = Path.Combine(dir, "empty.png");
        File.WriteAllBytes(empty, []);
        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, [images[0], empty, images[1]]);

        var maps = Path.Combine(dir, "maps");
        var drawn = RunPrior("attention", "--model", model, "--images", list, "--out", maps, "--skip-unreadable");
        Assert.AreEqual(0, drawn.Code, drawn.Err);
        StringAssert.Contains(drawn.Out, "skipped 1 of 3 inputs");
        StringAssert.Contains(drawn.Out, empty);
        var pictures = Directory.GetFiles(maps).Select(f => Path.GetFileName(f)!).Order().ToArray();
        CollectionAssert.AreEqual(
            new[]
            {
                $"00001-{Path.GetFileNameWithoutExtension(images[0])}.png",
                $"00003-{Path.GetFileNameWithoutExtension(images[1])}.png",
            },
            pictures
        );
        using (var codec = SkiaSharp.SKCodec.Create(Path.Combine(maps, pictures[0])))
            Assert.AreEqual(5 * 256, codec.Info.Width, "a panel for each of the CheXpert five's sentences");

        var sentences = Path.Combine(dir, "sentences.txt");
        File.WriteAllLines(sentences, ["There is a small left pleural effusion.", "The heart is normal in size."]);
        var two = RunPrior(
            "attention",
            "--model",
            model,
            "--images",
            list,
            "--sentences",
            sentences,
            "--out",
            Path.Combine(dir, "two"),
            "--skip-unreadable"
        );
        Assert.AreEqual(0, two.Code, two.Err);
        using (var codec = SkiaSharp.SKCodec.Create(Directory.GetFiles(Path.Combine(dir, "two"))[0]))
            Assert.AreEqual(2 * 256, codec.Info.Width);

        var stopped = RunPrior("attention", "--model", model, "--images", list, "--out", Path.Combine(dir, "stopped"));
        Assert.AreEqual(2, stopped.Code);
        StringAssert.Contains(stopped.Err, "row 2");
    }

    [TestMethod]
    public void ExportOnnxWritesThreeGraphsCheckedAgainstTorchSharp()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var folder = Path.Combine(dir, "onnx");
        var run = RunPrior("export-onnx", "--model", model, "--out", folder, "--classes", "Edema,Pneumothorax,No Finding", "--local");
        Assert.AreEqual(0, run.Code, run.Err);
        StringAssert.Contains(run.Out, "every graph within 1e-04 of TorchSharp");
        foreach (var file in new[] { "image_encoder.onnx", "report_encoder.onnx", "zero_shot.onnx" })
            StringAssert.Contains(run.Out, file);
        CollectionAssert.AreEquivalent(
            new[] { "export.json", "image_encoder.onnx", "report_encoder.onnx", "zero_shot.onnx" },
            Directory.GetFiles(folder).Select(Path.GetFileName).ToArray()
        );
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "export.json")));
        CollectionAssert.AreEqual(
            new[] { "Edema", "Pneumothorax", "No Finding" },
            summary.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray()
        );
        foreach (var difference in summary.RootElement.GetProperty("largestDifference").EnumerateObject())
            Assert.IsLessThanOrEqualTo(1e-4, difference.Value.GetDouble(), difference.Name);
        using var encoder = new Microsoft.ML.OnnxRuntime.InferenceSession(Path.Combine(folder, "image_encoder.onnx"));
        CollectionAssert.AreEquivalent(
            new[] { "embedding", "local_embeddings" },
            encoder.OutputMetadata.Keys.ToArray(),
            "--local adds the patch embeddings"
        );

        // The deployment sample: ML.NET's stock image transforms and ApplyOnnxModel give what prior classify gives (the
        // images are at the network's size, so no resize filter differs).
        var list = Path.Combine(dir, "images.txt");
        File.WriteAllLines(list, TrainingFixture.Instance.Studies.Skip(300).Take(30).Select(s => s.ImagePaths[0]));
        var viaTorch = RunPrior(
            "classify",
            "--model",
            model,
            "--images",
            list,
            "--classes",
            "Edema,Pneumothorax,No Finding",
            "--out",
            Path.Combine(dir, "torch.tsv")
        );
        var viaOnnx = RunPrior(
            "classify-onnx",
            "--onnx",
            Path.Combine(folder, "zero_shot.onnx"),
            "--images",
            list,
            "--out",
            Path.Combine(dir, "onnx.tsv")
        );
        Assert.AreEqual(0, viaTorch.Code, viaTorch.Err);
        Assert.AreEqual(0, viaOnnx.Code, viaOnnx.Err);
        var torchRows = File.ReadAllLines(Path.Combine(dir, "torch.tsv"));
        var onnxRows = File.ReadAllLines(Path.Combine(dir, "onnx.tsv"));
        Assert.AreEqual(torchRows[0], onnxRows[0], "same header: classes in the same order");
        Assert.HasCount(31, onnxRows);
        for (int i = 1; i < torchRows.Length; i++)
        {
            var (t, o) = (torchRows[i].Split('\t'), onnxRows[i].Split('\t'));
            Assert.AreEqual(t[^1], o[^1], $"row {i}: predicted class");
            for (int c = 1; c < t.Length - 1; c++)
                Assert.AreEqual(
                    double.Parse(t[c], System.Globalization.CultureInfo.InvariantCulture),
                    double.Parse(o[c], System.Globalization.CultureInfo.InvariantCulture),
                    1e-4,
                    $"row {i}, column {c}"
                );
        }

        // A list with files ML.NET's loader cannot read: the error names them (ML.NET's own names neither file nor row).
        var empty = Path.Combine(dir, "empty.png");
        File.WriteAllBytes(empty, []);
        var text = Path.Combine(dir, "notes.jpg");
        File.WriteAllText(text, "not an image");
        var badList = Path.Combine(dir, "bad.txt");
        File.WriteAllLines(badList, File.ReadAllLines(list).Take(3).Append(empty).Append(text));
        var bad = RunPrior(
            "classify-onnx",
            "--onnx",
            Path.Combine(folder, "zero_shot.onnx"),
            "--images",
            badList,
            "--out",
            Path.Combine(dir, "bad.tsv")
        );
        Assert.AreEqual(2, bad.Code, bad.Err);
        StringAssert.Contains(bad.Err, "2 of 5 images");
        StringAssert.Contains(bad.Err, empty);
        StringAssert.Contains(bad.Err, text);
        Assert.IsFalse(File.Exists(Path.Combine(dir, "bad.tsv")), "nothing written");

        var missing = RunPrior("export-onnx", "--model", Path.Combine(dir, "absent.zip"), "--out", folder);
        Assert.AreNotEqual(0, missing.Code);
        StringAssert.Contains(missing.Err, "absent.zip");
    }

    [TestMethod]
    public void FinetuneClassifyComparesWithRandomInitialisationAndWritesBothFigures()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var json = Path.Combine(dir, "finetune.json");
        var run = RunPrior(
            "finetune-classify",
            "--data",
            SyntheticFixture.CheXpert,
            "--model",
            model,
            "--fraction",
            "0.05",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--json",
            json
        );
        Assert.AreEqual(0, run.Code, run.Err);
        StringAssert.Contains(run.Out, "from random weights");
        using var figures = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        foreach (var key in new[] { "meanAuc", "baselineMeanAuc" })
            Assert.IsTrue(figures.RootElement.GetProperty(key).GetDouble() is >= 0 and <= 1, key);
        var bad = RunPrior("finetune-classify", "--data", SyntheticFixture.CheXpert, "--model", model, "--fraction", "2");
        Assert.AreEqual(2, bad.Code);
        StringAssert.Contains(bad.Err, "--fraction");
    }

    [TestMethod]
    public void SegmentTrainsBothArmsOnSiimAndWritesTheirDice()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var written = Prior.MLNet.Synthetic.SyntheticDownstreamGenerator.Generate(dir, images: 20, imageSize: 64, seed: 3);
        var json = Path.Combine(dir, "segment.json");
        var report = Path.Combine(dir, "report");
        var run = RunPrior(
            "segment",
            "--data",
            written.SiimRoot,
            "--model",
            model,
            "--fraction",
            "0.5",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--json",
            json,
            "--report",
            report
        );
        Assert.AreEqual(0, run.Code, run.Err);
        StringAssert.Contains(run.Out, "8 training images, 4 test", "20 images: a fifth held out, half of the rest trained on");
        using var figures = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        foreach (var key in new[] { "dice", "baselineDice" })
            Assert.IsTrue(figures.RootElement.GetProperty(key).GetDouble() is >= 0 and <= 1, key);
        // Overlays: one tile per arm for each chosen test image (4 test images here: at most 3 with pneumothorax and 3 without).
        using var overlays = SkiaSharp.SKBitmap.Decode(Path.Combine(report, "segmentation-overlays.png"));
        Assert.IsNotNull(overlays, "the overlay picture decodes");
        Assert.AreEqual(0, overlays.Width % (2 * 192), "two tiles (PRIOR, random) per image");
        Assert.IsGreaterThanOrEqualTo(2 * 192, overlays.Width);
    }

    [TestMethod]
    public void SegmentAndDetectReadTheDatasetsAsDicomInTheirRealLayouts()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var model = SavedModel(dir);
        var written = Prior.MLNet.Synthetic.SyntheticDownstreamGenerator.Generate(dir, images: 20, imageSize: 64, seed: 4);
        // Nothing but DICOM to read: RSNA's flat stage_2_train_images/*.dcm, SIIM's dicom-images-train/STUDY/SERIES/*.dcm.
        Assert.HasCount(20, Directory.GetFiles(Path.Combine(written.RsnaRoot, "stage_2_train_images"), "*.dcm"));
        Assert.HasCount(20, Directory.GetFiles(Path.Combine(written.SiimRoot, "dicom-images-train"), "*.dcm", SearchOption.AllDirectories));
        Assert.IsEmpty(Directory.GetFiles(dir, "*.png", SearchOption.AllDirectories));
        string[] budget = ["--model", model, "--fraction", "0.5", "--epochs", "1", "--seeds", "1"];
        var detect = RunPrior(["detect", "--data", written.RsnaRoot, .. budget]);
        Assert.AreEqual(0, detect.Code, detect.Err);
        StringAssert.Contains(detect.Out, "8 training images");
        var segment = RunPrior(["segment", "--data", written.SiimRoot, .. budget]);
        Assert.AreEqual(0, segment.Code, segment.Err);
        StringAssert.Contains(segment.Out, "8 training images, 4 test");
        // A copy converted to PNG at a size the annotations are not in: one line naming both sizes, exit 2.
        var copy = Path.Combine(dir, "rsna-png");
        Directory.CreateDirectory(Path.Combine(copy, "stage_2_train_images"));
        File.Copy(Path.Combine(written.RsnaRoot, "stage_2_train_labels.csv"), Path.Combine(copy, "stage_2_train_labels.csv"));
        foreach (var dicom in Directory.GetFiles(Path.Combine(written.RsnaRoot, "stage_2_train_images")))
            File.WriteAllBytes(
                Path.Combine(copy, "stage_2_train_images", Path.GetFileNameWithoutExtension(dicom) + ".jpg"),
                Prior.MLNet.Data.Images.GrayscaleJpeg.Encode(new byte[32 * 32], 32, 32)
            );
        var refused = RunPrior(["detect", "--data", copy, .. budget]);
        Assert.AreEqual(2, refused.Code, refused.Err);
        StringAssert.Contains(refused.Err, "32 × 32 pixels, but stage_2_train_labels.csv's annotations are in 1024 × 1024 pixels");
    }
}
