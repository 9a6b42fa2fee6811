using System.Diagnostics;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Training;

/// <summary>
/// Training over faults: damaged checkpoints, stale temporary folders, non-finite gradients, a full disk, damaged model
/// files and broken images. Each fault is injected for real (bytes flipped, a size-limited folder) where the machine
/// allows, and each must end in a named error or a recovery that loses nothing.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
[DoNotParallelize] // exact-repeat runs: torch's generator is process-wide.
public sealed class FaultToleranceTests
{
    private static TrainingFixture Data => TrainingFixture.Instance;

    private static IReadOnlyList<TrainingStudy> Studies => Data.Studies.Take(32).ToList();

    private static Dictionary<string, Tensor> Weights(PriorModel model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static void AssertSameWeights(Dictionary<string, Tensor> expected, PriorModel actual, string what)
    {
        foreach (var (key, value) in actual.state_dict())
            Assert.IsTrue(value.equal(expected[key]).all().item<bool>(), $"{what}: {key} differs");
    }

    /// <summary>Trains until <paramref name="stopAfterStep"/> and stops there, as a crash would (checkpoints every 2 steps).</summary>
    private static void TrainAndStop(string dir, int stopAfterStep)
    {
        using var cancel = new CancellationTokenSource();
        var options = TrainingFixture.Options([2, 1, 1], dir, every: 2, keep: 5, progress: p =>
        {
            if (p.GlobalStep == stopAfterStep)
                cancel.Cancel();
        });
        Assert.Throws<OperationCanceledException>(() => new PriorTrainer(options).Train(Studies, Data.Tokenizer, cancel.Token));
    }

    private static Dictionary<string, Tensor> Uninterrupted()
    {
        var result = new PriorTrainer(TrainingFixture.Options([2, 1, 1])).Train(Studies, Data.Tokenizer);
        using var model = result.Model;
        return Weights(model);
    }

    [TestMethod]
    [DataRow("model.bin", "does not match its checksum")]
    [DataRow("optimizer.bin", "does not match its checksum")]
    [DataRow("rng.bin", "is missing")]
    [DataRow("state.json", "not a readable checkpoint state")]
    public void ADamagedNewestCheckpointIsSkippedNamedAndTrainingEndsAsIfUninterrupted(string file, string reason)
    {
        var reference = Uninterrupted();
        var dir = SyntheticFixture.NewTempFolder();
        TrainAndStop(dir, stopAfterStep: 5);
        var newest = TrainingCheckpoint.List(dir)[^1];
        var previous = TrainingCheckpoint.List(dir)[^2];
        var target = Path.Combine(newest, file);
        var random = new Random(file.Length);
        switch (file)
        {
            case "rng.bin":
                File.Delete(target);
                break;
            case "state.json":
                File.WriteAllText(target, "{\"Version\": 2, \"Stage");
                break;
            default:
                var bytes = File.ReadAllBytes(target);
                for (int k = 0; k < 3; k++)
                    bytes[random.Next(bytes.Length)] ^= 0x5A;
                File.WriteAllBytes(target, bytes);
                break;
        }
        var notices = new List<string>();
        var result = new PriorTrainer(TrainingFixture.Options([2, 1, 1], dir, every: 2, keep: 5, resume: true, notice: notices.Add)).Train(
            Studies,
            Data.Tokenizer
        );
        using var model = result.Model;
        var skipped = notices.Single(n => n.Contains("damaged and was skipped", StringComparison.Ordinal));
        StringAssert.Contains(skipped, newest);
        StringAssert.Contains(skipped, reason);
        Assert.AreEqual($"resuming from {previous}", notices.Single(n => n.StartsWith("resuming from", StringComparison.Ordinal)));
        AssertSameWeights(reference, model, "after falling back one checkpoint");
    }

    [TestMethod]
    public void ACheckpointFromBeforeAModelOptionExistedResumesAndOneWithOtherOptionsIsRefused()
    {
        var reference = Uninterrupted();
        var dir = SyntheticFixture.NewTempFolder();
        TrainAndStop(dir, stopAfterStep: 5);
        // As an older build wrote them: the model options without the bank's logit settings (added since; defaults here).
        foreach (var checkpoint in TrainingCheckpoint.List(dir))
        {
            var path = Path.Combine(checkpoint, "state.json");
            var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            var options = System.Text.Json.Nodes.JsonNode.Parse(state["ModelOptions"]!.GetValue<string>())!.AsObject();
            Assert.IsTrue(options.Remove("PrototypeLogits") && options.Remove("PrototypeLogitScale"));
            state["ModelOptions"] = options.ToJsonString();
            File.WriteAllText(path, state.ToJsonString());
        }
        var result = new PriorTrainer(TrainingFixture.Options([2, 1, 1], dir, every: 2, keep: 5, resume: true)).Train(
            Studies,
            Data.Tokenizer
        );
        using (var model = result.Model)
            AssertSameWeights(reference, model, "resumed from an older build's checkpoint");
        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            new PriorTrainer(TrainingFixture.Options([2, 1, 1], dir, every: 2, resume: true, logits: PrototypeLogits.CenteredCosine)).Train(
                Studies,
                Data.Tokenizer
            )
        );
        StringAssert.Contains(error.Message, "made for other model options");
    }

    [TestMethod]
    public void StaleTemporaryFoldersAreRemovedAndEveryCheckpointDamagedIsANamedError()
    {
        var dir = SyntheticFixture.NewTempFolder();
        TrainAndStop(dir, stopAfterStep: 3);
        var stale = Directory.CreateDirectory(Path.Combine(dir, ".step-00000004.0123456789abcdef.tmp"));
        File.WriteAllText(Path.Combine(stale.FullName, "model.bin"), "half");
        foreach (var checkpoint in TrainingCheckpoint.List(dir))
            File.WriteAllText(Path.Combine(checkpoint, "model.bin"), "garbage");
        var notices = new List<string>();
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            new PriorTrainer(TrainingFixture.Options([2, 1, 1], dir, every: 2, resume: true, notice: notices.Add)).Train(
                Studies,
                Data.Tokenizer
            )
        );
        StringAssert.StartsWith(error.Message, $"{dir}: every checkpoint is damaged");
        Assert.IsFalse(Directory.Exists(stale.FullName));
        Assert.AreEqual($"removed {stale.Name}, the temporary folder of a checkpoint write that never finished", notices[0]);
    }

    [TestMethod]
    public void ANonFiniteGradientStopsTheStepAndNoNaNWeightIsEverSaved()
    {
        var dir = SyntheticFixture.NewTempFolder();
        int backward = 0;
        var options = TrainingFixture.Options([2, 1, 1], dir, every: 1, afterBackward: model =>
        {
            if (++backward == 4)
                model.local_image_projection.weight!.grad!.fill_(double.NaN);
        });
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() => new PriorTrainer(options).Train(Studies, Data.Tokenizer));
        StringAssert.Contains(error.Message, "the gradient of local_image_projection.weight is not finite although the loss is");
        StringAssert.Contains(error.Message, "The step was not applied");
        var checkpoints = TrainingCheckpoint.List(dir);
        Assert.AreEqual("step-00000003", Path.GetFileName(checkpoints[^1]), "the last checkpoint is the step before");
        using var model = new PriorModel(PriorModelOptions.Tiny, Data.Tokenizer.VocabularySize);
        model.load(Path.Combine(checkpoints[^1], "model.bin"));
        foreach (var (key, value) in model.state_dict().Where(kv => kv.Value.is_floating_point()))
            Assert.IsTrue(value.isfinite().all().item<bool>(), key);
    }

    [TestMethod]
    public void AFullDiskStopsTrainingWithAClearErrorAndThePreviousCheckpointIntact()
    {
        // A checkpoint's size, measured, then a folder with room for one and a half of them.
        var probe = SyntheticFixture.NewTempFolder();
        TrainAndStop(probe, stopAfterStep: 2);
        long size = Directory.EnumerateFiles(TrainingCheckpoint.List(probe)[0]).Sum(f => new FileInfo(f).Length);
        var dir = Path.Combine(SyntheticFixture.NewTempFolder(), "small-disk");
        Directory.CreateDirectory(dir);
        bool mounted = Mount(dir, size * 3 / 2 + 64 * 1024);
        int writes = 0;
        if (!mounted)
            TrainingCheckpoint.WriteFault = _ =>
            {
                if (++writes == 2)
                    throw new IOException("No space left on device (injected)");
            };
        try
        {
            var error = Assert.ThrowsExactly<IOException>(() =>
                new PriorTrainer(TrainingFixture.Options([2, 1, 1], dir, every: 2)).Train(Studies, Data.Tokenizer)
            );
            Console.WriteLine($"full disk ({(mounted ? "tmpfs" : "injected")}): {error.Message}");
            StringAssert.StartsWith(error.Message, $"{dir}: could not write the checkpoint of step 4 (");
            StringAssert.Contains(
                error.Message,
                "training stopped. The previous checkpoint step-00000002 is intact; free space and resume."
            );
            Assert.HasCount(1, TrainingCheckpoint.List(dir));
            Assert.IsEmpty(Directory.GetDirectories(dir, ".step-*"), "no temporary folder is left behind");
            using var model = new PriorModel(PriorModelOptions.Tiny, Data.Tokenizer.VocabularySize);
            model.load(Path.Combine(TrainingCheckpoint.List(dir)[0], "model.bin"));
        }
        finally
        {
            TrainingCheckpoint.WriteFault = null;
            if (mounted)
                Run("umount", dir);
        }
    }

    private static bool Mount(string dir, long bytes) =>
        OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", dir) == 0;

    private static int Run(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args)
                info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    [TestMethod]
    public void AModelFileDamagedAtRandomOffsetsIsANamedErrorOrLoadsUnchanged()
    {
        var network = Transforms.TestNetwork.Instance;
        var dir = SyntheticFixture.NewTempFolder();
        var path = Path.Combine(dir, "model.zip");
        network.Save(path);
        var original = File.ReadAllBytes(path);
        var expected = Weights(network.Model);
        var random = new Random(8);
        int named = 0,
            harmless = 0;
        for (int trial = 0; trial < 24; trial++)
        {
            var bytes = (byte[])original.Clone();
            int offset = random.Next(bytes.Length);
            bytes[offset] ^= (byte)(1 + random.Next(255));
            var damaged = Path.Combine(dir, $"damaged-{trial}.zip");
            File.WriteAllBytes(damaged, bytes);
            try
            {
                using var loaded = PriorNetwork.Load(damaged);
                // A byte that nothing reads (a zip timestamp, padding): the model must be exactly the original.
                AssertSameWeights(expected, loaded.Model, $"offset {offset}");
                CollectionAssert.AreEqual(
                    network.Tokenizer.Vocabulary.ToArray(),
                    loaded.Tokenizer.Vocabulary.ToArray(),
                    $"offset {offset}"
                );
                harmless++;
            }
            catch (InvalidDataException ex)
            {
                StringAssert.StartsWith(ex.Message, damaged, $"offset {offset}");
                named++;
            }
        }
        Console.WriteLine($"24 random single-byte faults: {named} named errors, {harmless} harmless");
        Assert.IsGreaterThanOrEqualTo(12, named, "most single-byte faults land in checked data and are caught");
    }

    [TestMethod]
    public void BrokenImagesAreSkippedAndNamedByTrainingWhileOddButValidOnesTrain()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var huge = Path.Combine(dir, "huge-10000.jpg");
        File.WriteAllBytes(
            huge,
            GrayscaleJpeg.Encode(
                new byte[10_000 * 10_000]
                    .Select((_, i) => (byte)(i % 7 * 30))
                    .ToArray(),
                10_000,
                10_000,
                quality: 50
            )
        );
        string Image(string name) => Path.Combine(RepositoryPaths.TestData, "images", name);
        string[] broken = [Image("empty.jpg"), Image("truncated.jpg"), Image("text.jpg")];
        string[] odd =
        [
            Image("png-named.jpg"),
            Image("cmyk.jpg"),
            Image("tiny-1x1.jpg"),
            huge,
            Image("rgb-exif-rotated.jpg"),
            Image("gray16.png"),
        ];
        var studies = Studies
            .Select(
                (s, i) =>
                    i < broken.Length ? s with { ImagePaths = [broken[i]] }
                    : i < broken.Length + odd.Length ? s with { ImagePaths = [odd[i - broken.Length]] }
                    : s
            )
            .ToList();
        var result = new PriorTrainer(TrainingFixture.Options([1, 0, 0])).Train(studies, Data.Tokenizer);
        result.Model.Dispose();
        foreach (var file in broken)
            Assert.IsTrue(
                result.SkippedSamples.Any(s => s.Contains(file, StringComparison.Ordinal)),
                $"{file} is named: {string.Join(" | ", result.SkippedSamples)}"
            );
        foreach (var file in odd)
            Assert.IsFalse(result.SkippedSamples.Any(s => s.Contains(file, StringComparison.Ordinal)), $"{file} trains");
        Assert.HasCount(broken.Length, result.SkippedSamples);
    }
}
