using System.Diagnostics;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Tool;

/// <summary>The `prior` command line, run as a separate process the way users and scripts run it.</summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class CommandLineTests
{
    internal static (int Code, string Out, string Err) RunPrior(params string[] args) => RunProgram("prior", args);

    /// <summary>Runs one of the repository's programs (prior, prior-bench, prior-experiments) from the test output folder.</summary>
    internal static (int Code, string Out, string Err) RunProgram(string program, params string[] args) =>
        RunProgramWith(new Dictionary<string, string?>(), program, args);

    /// <summary><see cref="RunProgram"/> with <paramref name="environment"/> set (a null value removes the variable).</summary>
    internal static (int Code, string Out, string Err) RunProgramWith(
        IReadOnlyDictionary<string, string?> environment,
        string program,
        params string[] args
    )
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            if (value is null)
                info.Environment.Remove(name);
            else
                info.Environment[name] = value;
        }
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, program + ".dll"));
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    [TestMethod]
    public void SynthThenIndexThenFiveByTwoHundredRunEndToEnd()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var synth = RunPrior("synth", "--out", dir, "--studies", "40", "--chexpert-images", "300", "--image-size", "48", "--seed", "3");
        Assert.AreEqual(0, synth.Code, synth.Err);
        StringAssert.Contains(synth.Out, "MIMIC-CXR: 40 studies");
        var index = Path.Combine(dir, "index.jsonl");
        var indexed = RunPrior("mimic-index", "--data", dir, "--out", index);
        Assert.AreEqual(0, indexed.Code, indexed.Err);
        var manifest = MLNet.Synthetic.SyntheticManifest.Read(Path.Combine(dir, "synth-manifest.json"));
        StringAssert.Contains(indexed.Out, $"studies indexed: {manifest.MimicUsableStudies}");
        var subset = RunPrior(
            "chexpert-5x200",
            "--chexpert",
            Path.Combine(dir, "CheXpert-v1.0-small"),
            "--out",
            Path.Combine(dir, "5x10.csv"),
            "--per-class",
            "10"
        );
        Assert.AreEqual(0, subset.Code, subset.Err);
        Assert.HasCount(51, File.ReadAllLines(Path.Combine(dir, "5x10.csv")));
    }

    [TestMethod]
    public void CacheThenPretrainReadsTheImagesFromTheCache()
    {
        var dir = SyntheticFixture.NewTempFolder();
        Assert.AreEqual(
            0,
            RunPrior("synth", "--out", dir, "--studies", "40", "--chexpert-images", "0", "--image-size", "80", "--seed", "4").Code
        );
        var cached = RunPrior("cache", "--data", dir, "--size", "64");
        Assert.AreEqual(0, cached.Code, cached.Err);
        StringAssert.Contains(cached.Out, "at 64 × 64");
        Assert.IsTrue(File.Exists(Path.Combine(dir, "prior-image-cache-64.bin")));
        var trained = RunPrior(
            "pretrain",
            "--data",
            dir,
            "--preset",
            "tiny",
            "--epochs",
            "1,0,0",
            "--batch-size",
            "8",
            "--device",
            "cpu",
            "--out",
            Path.Combine(dir, "m.zip")
        );
        Assert.AreEqual(0, trained.Code, trained.Err);
        StringAssert.Contains(trained.Out, "prior-image-cache-64.bin (64 × 64)");
        StringAssert.Contains(trained.Out, ", 0 decoded from their files");

        // Output that is not a terminal (a log): no progress bar, no carriage return or escape sequence; one line per
        // epoch, and the cache's progress at most once per tenth of the work.
        foreach (var run in new[] { cached, trained })
            Assert.IsFalse((run.Out + run.Err).Any(c => c is '\r' or '\u001b'), run.Out + run.Err);
        Assert.HasCount(
            1,
            trained.Out.Split('\n').Where(l => l.StartsWith("stage 1 epoch 1 step ", StringComparison.Ordinal)).ToList(),
            trained.Out
        );
        var cacheLines = cached.Err.Split('\n').Where(l => l.StartsWith("cache: ", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(cacheLines.Count is >= 1 and <= 10, cached.Err);
        StringAssert.Contains(cacheLines[^1], "(100 %)");
    }

    [TestMethod]
    public void AStageOneModelDraftsByRetrievalAndNearestReportButNotByPrototypes()
    {
        var dir = SyntheticFixture.NewTempFolder();
        Assert.AreEqual(
            0,
            RunPrior("synth", "--out", dir, "--studies", "40", "--chexpert-images", "0", "--image-size", "64", "--seed", "5").Code
        );
        var model = Path.Combine(dir, "m.zip");
        var trained = RunPrior("pretrain", "--data", dir, "--preset", "tiny", "--epochs", "1,0,0", "--batch-size", "8", "--out", model);
        Assert.AreEqual(0, trained.Code, trained.Err);
        StringAssert.Contains(trained.Out, "sentence memory: ");
        var images = Path.Combine(dir, "images.txt");
        File.WriteAllLines(images, Directory.EnumerateFiles(dir, "*.jpg", SearchOption.AllDirectories).Order().Take(3));
        foreach (var method in new[] { "retrieval", "nearest-report" })
        {
            var output = Path.Combine(dir, method + ".csv");
            var drafted = RunPrior("draft", "--model", model, "--images", images, "--out", output, "--method", method);
            Assert.AreEqual(0, drafted.Code, drafted.Err);
            StringAssert.Contains(drafted.Out, $"3 reports drafted ({method})");
            var text = File.ReadAllText(output);
            foreach (var image in File.ReadAllLines(images))
                StringAssert.Contains(text, "\n" + image + ",", "a row per image");
            StringAssert.Contains(text, "FINDINGS: ");
        }
        var prototype = RunPrior(
            "draft",
            "--model",
            model,
            "--images",
            images,
            "--out",
            Path.Combine(dir, "p.csv"),
            "--method",
            "prototype"
        );
        Assert.AreEqual(2, prototype.Code, prototype.Out);
        StringAssert.Contains(prototype.Err, "prototype decoder was not trained");
        Assert.IsFalse(File.Exists(Path.Combine(dir, "p.csv")));
        var wrong = RunPrior("draft", "--model", model, "--images", images, "--out", Path.Combine(dir, "x.csv"), "--method", "copy");
        Assert.AreNotEqual(0, wrong.Code);
        StringAssert.Contains(wrong.Err + wrong.Out, "--method must be one of nearest-report, retrieval, prototype");
    }

    [TestMethod]
    public void PretrainsDecoupledRecipeSetsTheDemosSwitchesAndAnExplicitSwitchWins()
    {
        var dir = SyntheticFixture.NewTempFolder();
        Assert.AreEqual(
            0,
            RunPrior("synth", "--out", dir, "--studies", "48", "--chexpert-images", "0", "--image-size", "64", "--seed", "5").Code
        );
        string[] common =
        [
            "pretrain",
            "--data",
            dir,
            "--preset",
            "tiny",
            "--epochs",
            "1,1,1",
            "--batch-size",
            "8",
            "--device",
            "cpu",
            "--recipe",
            "decoupled",
        ];
        var recipe = RunPrior([.. common, "--out", Path.Combine(dir, "recipe.zip")]);
        Assert.AreEqual(0, recipe.Code, recipe.Err);
        StringAssert.Contains(recipe.Out, "initialised by spherical k-means", "--bank-start kmeans");
        using (var network = PriorNetwork.Load(Path.Combine(dir, "recipe.zip")))
        {
            Assert.IsTrue(network.Model.Options.DecoupledPrototypeStages);
            Assert.AreEqual(PrototypeLogits.CenteredCosine, network.Model.Options.PrototypeLogits);
        }
        var dot = RunPrior([.. common, "--bank-logits", "dot", "--out", Path.Combine(dir, "dot.zip")]);
        Assert.AreEqual(0, dot.Code, dot.Err);
        using (var network = PriorNetwork.Load(Path.Combine(dir, "dot.zip")))
        {
            Assert.IsTrue(network.Model.Options.DecoupledPrototypeStages);
            Assert.AreEqual(
                PrototypeLogits.DotProduct,
                network.Model.Options.PrototypeLogits,
                "the explicit --bank-logits wins over the recipe"
            );
        }
        var original = RunPrior(
            "pretrain",
            "--data",
            dir,
            "--preset",
            "tiny",
            "--epochs",
            "1,1,0",
            "--batch-size",
            "8",
            "--device",
            "cpu",
            "--out",
            Path.Combine(dir, "original.zip")
        );
        Assert.AreEqual(0, original.Code, original.Err);
        Assert.IsFalse(
            original.Out.Contains("spherical k-means", StringComparison.Ordinal),
            "without the recipe the bank starts as the original's"
        );
        using (var network = PriorNetwork.Load(Path.Combine(dir, "original.zip")))
            Assert.IsFalse(network.Model.Options.DecoupledPrototypeStages);
        Assert.AreEqual(2, RunPrior([.. common[..^1], "fancy", "--out", Path.Combine(dir, "x.zip")]).Code);
    }

    [TestMethod]
    public void BadInputExitsNonZeroWithAOneLineReason()
    {
        var missing = Path.Combine(SyntheticFixture.NewTempFolder(), "absent");
        var result = RunPrior("mimic-index", "--data", missing, "--out", Path.Combine(missing, "i.jsonl"));
        Assert.AreEqual(2, result.Code);
        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, result.Err);
        StringAssert.StartsWith(lines[0], "prior mimic-index: ");
        StringAssert.Contains(lines[0], "absent");

        var badOption = RunPrior("synth", "--out", missing, "--image-size", "4");
        Assert.AreEqual(2, badOption.Code);
        StringAssert.Contains(badOption.Err, "ImageSize");

        Assert.AreNotEqual(0, RunPrior("synth").Code, "--out is required");
    }

    [TestMethod]
    public void PretrainKilledAtRandomMomentsAndResumedEndsWithTheWeightsOfAnUninterruptedRun()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var data = Path.Combine(dir, "data");
        Assert.AreEqual(
            0,
            RunPrior("synth", "--out", data, "--studies", "120", "--chexpert-images", "0", "--image-size", "64", "--seed", "4").Code
        );
        string[] common = ["pretrain", "--data", data, "--preset", "tiny", "--epochs", "3,1,1", "--batch-size", "8", "--device", "cpu"];

        var clock = Stopwatch.StartNew();
        var reference = Path.Combine(dir, "reference.zip");
        var uninterrupted = RunPrior([.. common, "--out", reference]);
        Assert.AreEqual(0, uninterrupted.Code, uninterrupted.Err);
        double seconds = clock.Elapsed.TotalSeconds;

        // The same training, killed (SIGKILL: no cleanup runs) at three random moments and resumed each time.
        var checkpoints = Path.Combine(dir, "checkpoints");
        var model = Path.Combine(dir, "model.zip");
        string[] args = [.. common, "--out", model, "--checkpoints", checkpoints, "--checkpoint-every", "3", "--resume"];
        var random = new Random(2026);
        var kills = new List<string>();
        for (int kill = 0; kill < 3; kill++)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "prior.dll"));
            foreach (var a in args)
                info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            // A random moment after this run has written a checkpoint of its own: mid-step, mid-write or mid-epoch.
            var before = TrainingCheckpoint.List(checkpoints).LastOrDefault();
            var waited = Stopwatch.StartNew();
            while (
                TrainingCheckpoint.List(checkpoints).LastOrDefault() == before && !process.HasExited && waited.Elapsed.TotalSeconds < 120
            )
                Thread.Sleep(20);
            var delay = TimeSpan.FromSeconds(0.6 * random.NextDouble());
            Assert.IsFalse(process.WaitForExit(delay), "training ended before it could be killed");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            kills.Add($"{delay.TotalSeconds:0.00} s after {Path.GetFileName(TrainingCheckpoint.List(checkpoints)[^1])}");
        }
        Console.WriteLine($"killed after: {string.Join("; ", kills)} (uninterrupted run: {seconds:0.0} s)");
        Assert.IsFalse(File.Exists(model));

        var resumed = RunPrior(args);
        Assert.AreEqual(0, resumed.Code, resumed.Err + resumed.Out);
        StringAssert.Contains(resumed.Out, "resuming from");
        StringAssert.Contains(resumed.Out, "stage 3 epoch 1");
        using var expected = PriorNetwork.Load(reference);
        using var actual = PriorNetwork.Load(model);
        Assert.IsTrue(actual.UsePrototypes);
        var weights = expected.Model.state_dict();
        foreach (var (key, value) in actual.Model.state_dict())
            Assert.IsTrue(value.equal(weights[key]).all().item<bool>(), $"{key} differs from the uninterrupted run");
    }

    [TestMethod]
    public void EveryCommandHasHelp()
    {
        foreach (
            var command in new[]
            {
                "synth",
                "mimic-index",
                "chexpert-5x200",
                "pretrain",
                "demo",
                "import",
                "export",
                "export-onnx",
                "embed",
                "classify",
                "classify-onnx",
                "finetune-classify",
                "segment",
                "label-reports",
                "cache",
                "draft",
                "merge",
                "serve",
                "attention",
            }
        )
        {
            var help = RunPrior(command, "--help");
            Assert.AreEqual(0, help.Code);
            StringAssert.Contains(help.Out, "--");
        }
        // The benchmarks and the research harnesses are programs of their own, not commands of the shipped tool.
        var commands = RunPrior("--help").Out;
        StringAssert.Contains(commands, "pretrain");
        foreach (var outside in new[] { "bench", "ablate" })
        {
            Assert.DoesNotContain($"  {outside} ", commands, $"'prior {outside}' should not exist");
            Assert.AreNotEqual(0, RunPrior(outside).Code, $"'prior {outside}' should not exist");
        }
        Assert.AreEqual(0, RunProgram("prior-bench", "--help").Code);
        Assert.AreEqual(0, RunProgram("prior-experiments", "ablate", "--help").Code);
    }
}
