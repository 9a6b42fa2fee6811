using System.Diagnostics;

namespace Prior.MLNet.Tests.Samples;

/// <summary>The `prior` command line, run as a separate process the way users and scripts run it.</summary>
[TestClass]
public sealed class CommandLineTests
{
    internal static (int Code, string Out, string Err) RunPrior(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "prior.dll"));
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
        var manifest = MLNet.Data.Synthetic.SyntheticManifest.Read(Path.Combine(dir, "synth-manifest.json"));
        StringAssert.Contains(indexed.Out, $"studies indexed: {manifest.MimicUsableStudies}");
        var subset = RunPrior("chexpert-5x200", "--chexpert", Path.Combine(dir, "CheXpert-v1.0-small"), "--out", Path.Combine(dir, "5x10.csv"), "--per-class", "10");
        Assert.AreEqual(0, subset.Code, subset.Err);
        Assert.HasCount(51, File.ReadAllLines(Path.Combine(dir, "5x10.csv")));
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
    public void PretrainRunsAllStagesAndResumesAfterBeingKilled()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var data = Path.Combine(dir, "data");
        Assert.AreEqual(0, RunPrior("synth", "--out", data, "--studies", "120", "--chexpert-images", "0", "--image-size", "64", "--seed", "4").Code);
        var checkpoints = Path.Combine(dir, "checkpoints");
        var model = Path.Combine(dir, "model.zip");
        string[] args = ["pretrain", "--data", data, "--preset", "tiny", "--out", model, "--epochs", "3,1,1", "--batch-size", "8",
            "--device", "cpu", "--checkpoints", checkpoints, "--checkpoint-every", "4"];

        // Start, wait for the first checkpoint, then kill the process as a crash or an impatient user would.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "prior.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using (var process = Process.Start(info)!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (Prior.MLNet.Training.TrainingCheckpoint.List(checkpoints).Count == 0 && !process.HasExited && clock.Elapsed.TotalSeconds < 120)
                Thread.Sleep(50);
            Assert.IsFalse(process.HasExited, "training ended before it could be interrupted");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.IsFalse(File.Exists(model));

        var resumed = RunPrior([.. args, "--resume"]);
        Assert.AreEqual(0, resumed.Code, resumed.Err + resumed.Out);
        StringAssert.Contains(resumed.Out, "resuming from");
        StringAssert.Contains(resumed.Out, "stage 3 epoch 1");
        Assert.IsTrue(File.Exists(model));
        // One model file for everything: an ML.NET model zip that mlContext.Model.Load and PriorNetwork.Load read.
        using (var loaded = Prior.MLNet.Transforms.PriorNetwork.Load(model))
            Assert.IsTrue(loaded.UsePrototypes);
        var transformer = new Microsoft.ML.MLContext().Model.Load(model, out _);
        Assert.IsInstanceOfType<Prior.MLNet.Transforms.PriorPretrainTransformer>(transformer);
    }

    [TestMethod]
    public void EveryCommandHasHelp()
    {
        foreach (var command in new[] { "synth", "mimic-index", "chexpert-5x200", "pretrain", "demo", "import", "export", "embed", "classify" })
        {
            var help = RunPrior(command, "--help");
            Assert.AreEqual(0, help.Code);
            StringAssert.Contains(help.Out, "--");
        }
    }
}
