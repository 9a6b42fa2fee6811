using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using TorchSharp;

namespace Prior.MLNet.Tests.Training;

[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class PriorTrainerTests
{
    private static TrainingFixture Data => TrainingFixture.Instance;

    // Torch's random generator is process-wide: tests that rely on repeating a run exactly must not share the
    // process's torch work with tests running in parallel, so they run alone.
    [TestMethod]
    [DoNotParallelize]
    public void StageOneLossFallsClearlyAndHeldOutRetrievalIsWellAboveChance()
    {
        var train = Data.Studies.Take(Data.Studies.Count - 60).ToList();
        var heldOut = Data.Studies.Skip(Data.Studies.Count - 60).ToList();
        var result = new PriorTrainer(TrainingFixture.Options([25, 0, 0])).Train(train, Data.Tokenizer);
        using var model = result.Model;
        var epochs = result.History.GroupBy(p => p.Epoch).Select(g => g.Average(p => p.Losses["total"])).ToList();
        Console.WriteLine($"stage-1 mean total loss per epoch: {string.Join(", ", epochs.Select(l => l.ToString("0.000")))}");
        Assert.IsLessThan(0.6 * epochs[0], epochs[^1], "stage-1 loss did not fall clearly");
        Assert.IsLessThan(epochs[0], result.History.Where(p => p.Epoch == epochs.Count - 1).Average(p => p.Losses["global"]));

        var retrieval = Retrieval.Evaluate(
            model,
            Data.Tokenizer,
            new ImagePreprocessor(model.Options.ImageSize), // the trainer's normalisation
            heldOut,
            usePrototypes: false
        );
        Console.WriteLine(
            $"held-out image->text P@1 {retrieval.ImageToTextP1:0.000} P@5 {retrieval.ImageToTextP5:0.000} text->image P@1 "
                + $"{retrieval.TextToImageP1:0.000}, chance {retrieval.Chance:0.000}"
        );
        Assert.IsGreaterThanOrEqualTo(3 * retrieval.Chance, retrieval.ImageToTextP1, "image->text P@1 is not well above chance");
        Assert.IsGreaterThanOrEqualTo(3 * 5 * retrieval.Chance, retrieval.ImageToTextP5);
    }

    [TestMethod]
    public void AllThreeStagesRunEndToEndAndWriteCheckpoints()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var studies = Data.Studies.Take(64).ToList();
        var result = new PriorTrainer(TrainingFixture.Options([1, 1, 1], dir, every: 3)).Train(studies, Data.Tokenizer);
        result.Model.Dispose();
        CollectionAssert.AreEqual(
            new[] { PriorStage.Alignment, PriorStage.Prototypes, PriorStage.Reconstruction },
            result.History.Select(p => p.Stage).Distinct().ToArray()
        );
        Assert.HasCount(12, result.History); // 4 steps per epoch, one epoch per stage
        Assert.IsTrue(
            result
                .History.Where(p => p.Stage == PriorStage.Reconstruction)
                .All(p => p.Losses.ContainsKey("spg") && p.Losses.ContainsKey("gpa"))
        );
        Assert.IsTrue(result.History.All(p => p.Losses.Values.All(double.IsFinite)));
        var checkpoints = TrainingCheckpoint.List(dir);
        Assert.HasCount(2, checkpoints, "two kept");
        StringAssert.EndsWith(checkpoints[^1], "step-00000012");
        Assert.IsFalse(Directory.EnumerateDirectories(dir, ".*").Any(), "a temporary checkpoint folder was left");
    }

    [TestMethod]
    public void TheContinuousScheduleAnnealsAcrossStagesWhereThePerStageOneClimbsBack()
    {
        var studies = Data.Studies.Take(64).ToList(); // 4 steps per epoch, 12 in all
        var continuous = new PriorTrainer(TrainingFixture.Options([1, 1, 1], schedule: StageSchedule.Continuous)).Train(
            studies,
            Data.Tokenizer
        );
        continuous.Model.Dispose();
        var lr = continuous.History.Select(p => p.LearningRate).ToArray();
        Assert.HasCount(12, lr);
        // Stage 1's curve over 12 steps (start 1e-5, peak 1e-3, 4 warm-up steps), by hand:
        // step 2 is half-way up; step 4 (stage 2's first) the peak; step 8 (stage 3's first) half-way down the cosine.
        Assert.AreEqual(1e-5 + (1e-3 - 1e-5) * 2 / 4, lr[2], 1e-12);
        Assert.AreEqual(1e-3, lr[4], 1e-12);
        Assert.AreEqual(0.5e-3, lr[8], 1e-12);
        for (int i = 5; i < 12; i++)
            Assert.IsLessThan(lr[i - 1], lr[i], $"step {i}: the continuous schedule must keep decaying across stage boundaries");

        var perStage = new PriorTrainer(TrainingFixture.Options([1, 1, 1])).Train(studies, Data.Tokenizer);
        perStage.Model.Dispose();
        // The original's: stage 3 starts again from its own start learning rate (1e-7) and climbs to its peak (2e-4).
        Assert.AreEqual(1e-7, perStage.History[8].LearningRate, 1e-15);
        Assert.IsGreaterThan(perStage.History[8].LearningRate, perStage.History[9].LearningRate);
    }

    // The bench's pipeline part compares the trainer fed beside its steps with the trainer on prebuilt batches: that is
    // only a measure of the pipeline's cost if both train on the same batches, and the prebuilt run waits for none.
    [TestMethod]
    [DoNotParallelize]
    public void PrebuiltBatchesTrainExactlyLikeBatchesBuiltBesideTheSteps()
    {
        var studies = Data.Studies.Take(64).ToList(); // 4 steps per epoch
        var streamed = new PriorTrainer(TrainingFixture.Options([2, 0, 0])).Train(studies, Data.Tokenizer);
        var prebuilt = new PriorTrainer(TrainingFixture.Options([2, 0, 0], prebuild: true)).Train(studies, Data.Tokenizer);
        Assert.HasCount(8, prebuilt.History);
        Assert.HasCount(streamed.History.Count, prebuilt.History);
        for (int i = 0; i < streamed.History.Count; i++)
        {
            foreach (var (term, value) in streamed.History[i].Losses)
                Assert.AreEqual(value, prebuilt.History[i].Losses[term], 1e-5 * Math.Max(1, Math.Abs(value)), $"step {i + 1} {term}");
            Assert.IsLessThan(0.05, prebuilt.History[i].DataWaitFraction, $"step {i + 1}: a prebuilt batch must not be waited for");
        }
        streamed.Model.Dispose();
        prebuilt.Model.Dispose();
    }

    // Decoupled too: its side stream of bank and decoder noise is derived from the checkpointed generator state, and its
    // data order from stage 1's epoch numbering, so a resumed run needs nothing more.
    [TestMethod]
    [DoNotParallelize]
    [DataRow(false)]
    [DataRow(true)]
    public void AResumedRunContinuesExactlyLikeAnUninterruptedOne(bool decoupled)
    {
        var studies = Data.Studies.Take(96).ToList(); // 6 steps per epoch
        int[] epochs = [1, 2, 1]; // step 8 is inside stage 2: the bank's counts resume too
        var full = new PriorTrainer(
            TrainingFixture.Options(epochs, SyntheticFixture.NewTempFolder(), every: 4, decoupled: decoupled)
        ).Train(studies, Data.Tokenizer);

        // Interrupt after step 10 (the newest checkpoint is after step 8), then resume.
        var dir = SyntheticFixture.NewTempFolder();
        using var stop = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            new PriorTrainer(TrainingFixture.Options(epochs, dir, every: 4, decoupled: decoupled, progress: p =>
                {
                    if (p.GlobalStep == 10)
                        stop.Cancel();
                })).Train(studies, Data.Tokenizer, stop.Token)
        );
        StringAssert.EndsWith(TrainingCheckpoint.List(dir)[^1], "step-00000008");
        var resumed = new PriorTrainer(TrainingFixture.Options(epochs, dir, every: 4, resume: true, decoupled: decoupled)).Train(
            studies,
            Data.Tokenizer
        );

        Assert.AreEqual(9L, resumed.History[0].GlobalStep);
        var expected = full.History.Where(p => p.GlobalStep >= 9).ToList();
        Assert.HasCount(expected.Count, resumed.History);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Stage, resumed.History[i].Stage);
            Assert.AreEqual(expected[i].LearningRate, resumed.History[i].LearningRate, 1e-15);
            foreach (var (term, value) in expected[i].Losses)
                Assert.AreEqual(
                    value,
                    resumed.History[i].Losses[term],
                    1e-5 * Math.Max(1, Math.Abs(value)),
                    $"step {expected[i].GlobalStep} {term}"
                );
        }
        var a = full.Model.state_dict();
        var b = resumed.Model.state_dict();
        foreach (var (key, tensor) in a)
            Assert.IsTrue(tensor.allclose(b[key], rtol: 1e-4, atol: 1e-6), key);
        full.Model.Dispose();
        resumed.Model.Dispose();
    }

    // Decoupled stages 2-3 must cost stage 1's modules nothing: the same data order, the same dropout draws (the
    // bank's and the decoders' noise comes from a side stream) and stage 1's gradient, so after 2+1+1 epochs the
    // towers are where 4 epochs of stage 1 alone take them, up to float rounding (the two graphs sum the same
    // gradients in another order; here they come out identical). With 3 generated sentences stage 3 cuts most
    // reports to 3 sentences for its own terms, and stage 1's terms must still see them all. The original's coupled
    // stages, on the same schedule, land far away.
    [TestMethod]
    [DoNotParallelize]
    [DataRow(16)]
    [DataRow(3)]
    public void DecoupledStagesLeaveStageOnesModulesWhereStageOneAloneTakesThem(int generatedSentences)
    {
        var studies = Data.Studies.Take(64).ToList(); // 4 steps per epoch
        PriorTrainerOptions Options(int[] epochs, bool decoupled) =>
            TrainingFixture.Options(
                epochs,
                schedule: StageSchedule.Continuous,
                keepOptimizer: true,
                logits: PrototypeLogits.CenteredCosine,
                decoupled: decoupled,
                generatedSentences: generatedSentences
            );
        var alone = new PriorTrainer(Options([4, 0, 0], decoupled: true)).Train(studies, Data.Tokenizer);
        var decoupled = new PriorTrainer(Options([2, 1, 1], decoupled: true)).Train(studies, Data.Tokenizer);
        var coupled = new PriorTrainer(Options([2, 1, 1], decoupled: false)).Train(studies, Data.Tokenizer);

        // The largest change of any stage-1 tensor against stage 1 alone, relative to how far stage 1 moved it.
        torch.random.manual_seed(5); // the trainer's seed, before it builds the model
        var start = new PriorModel(alone.Model.Options, Data.Tokenizer.VocabularySize);
        double Departure(PriorModel model)
        {
            var mine = model.state_dict();
            var initial = start.state_dict();
            double worst = 0;
            foreach (var (name, reference) in alone.Model.state_dict())
            {
                if (!IsStageOne(name) || reference.dtype != torch.ScalarType.Float32)
                    continue;
                double moved = Math.Max(1e-8, (reference - initial[name]).abs().max().item<float>());
                worst = Math.Max(worst, (mine[name] - reference).abs().max().item<float>() / moved);
            }
            return worst;
        }
        double decoupledDeparture = Departure(decoupled.Model),
            coupledDeparture = Departure(coupled.Model);
        Assert.IsLessThan(
            1e-6,
            decoupledDeparture,
            $"decoupled stages moved stage 1's modules away from stage 1 alone (coupled: {coupledDeparture})"
        );
        Assert.IsGreaterThan(0.1, coupledDeparture);
        // ... while the bank and the decoders did learn.
        var bankStart = alone.Model.state_dict()["sentence_bank.embed.weight"];
        Assert.IsGreaterThan(1e-3f, (decoupled.Model.state_dict()["sentence_bank.embed.weight"] - bankStart).abs().max().item<float>());
        foreach (var m in new[] { alone.Model, decoupled.Model, coupled.Model, start })
            m.Dispose();
    }

    // Stage 1 trains everything but the bank, the decoders and the prototype queries.
    private static bool IsStageOne(string name) =>
        !name.StartsWith("sentence_bank.", StringComparison.Ordinal)
        && !name.StartsWith("image_decoder.", StringComparison.Ordinal)
        && !name.StartsWith("sentence_decoder.", StringComparison.Ordinal)
        && !name.StartsWith("prototype_queries", StringComparison.Ordinal);

    // The original starts each stage with a fresh AdamW; keeping one carries stage 1's moments on, and a run resumed
    // from the checkpoint at a stage boundary must carry them on too.
    [TestMethod]
    [DoNotParallelize]
    public void OneOptimizerForTheRunCarriesStageOnesMomentsOnAndResumesAtAStageBoundary()
    {
        var studies = Data.Studies.Take(64).ToList(); // 4 steps per epoch
        int[] epochs = [1, 1, 1];
        PriorTrainerOptions Options(string dir, bool keepOptimizer, bool resume = false, Action<TrainingProgress>? progress = null) =>
            TrainingFixture.Options(epochs, dir, every: 4, keep: 5, resume: resume, progress: progress, keepOptimizer: keepOptimizer);

        (long Tower, long Bank) StepsAfterStageTwo(string dir, PriorModel model)
        {
            using var optimizer = new AdamW(model.parameters());
            TrainingCheckpoint.LoadOptimizer(
                TrainingCheckpoint.List(dir).Single(c => c.EndsWith("step-00000008", StringComparison.Ordinal)),
                optimizer
            );
            // By name: the optimizer's state is keyed by the registered parameters.
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            return (
                optimizer.StepsOf(parameters["image_encoder.encoder.conv1.weight"]),
                optimizer.StepsOf(parameters["sentence_bank.embed.weight"])
            );
        }
        var keptDir = SyntheticFixture.NewTempFolder();
        var kept = new PriorTrainer(Options(keptDir, keepOptimizer: true)).Train(studies, Data.Tokenizer);
        Assert.AreEqual(
            (8L, 4L),
            StepsAfterStageTwo(keptDir, kept.Model),
            "the tower's moments span stages 1 and 2; the bank's start at stage 2"
        );
        var freshDir = SyntheticFixture.NewTempFolder();
        var fresh = new PriorTrainer(Options(freshDir, keepOptimizer: false)).Train(studies, Data.Tokenizer);
        Assert.AreEqual((4L, 4L), StepsAfterStageTwo(freshDir, fresh.Model), "the original's: stage 2 starts a fresh optimizer");
        fresh.Model.Dispose();

        // Stopped in stage 2: the newest checkpoint is the one at stage 2's start (after step 4).
        var dir = SyntheticFixture.NewTempFolder();
        using var stop = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => new PriorTrainer(Options(dir, keepOptimizer: true, progress: p =>
                {
                    if (p.GlobalStep == 6)
                        stop.Cancel();
                })).Train(studies, Data.Tokenizer, stop.Token));
        StringAssert.EndsWith(TrainingCheckpoint.List(dir)[^1], "step-00000004");
        var resumed = new PriorTrainer(Options(dir, keepOptimizer: true, resume: true)).Train(studies, Data.Tokenizer);
        var expected = kept.History.Where(p => p.GlobalStep >= 5).ToList();
        Assert.HasCount(expected.Count, resumed.History);
        for (int i = 0; i < expected.Count; i++)
            foreach (var (term, value) in expected[i].Losses)
                Assert.AreEqual(
                    value,
                    resumed.History[i].Losses[term],
                    1e-5 * Math.Max(1, Math.Abs(value)),
                    $"step {expected[i].GlobalStep} {term}"
                );
        kept.Model.Dispose();
        resumed.Model.Dispose();
    }

    [TestMethod]
    public void LiveTensorsStayFlatAcrossSteps()
    {
        var counts = new List<long>();
        var result = new PriorTrainer(
            TrainingFixture.Options([2, 1, 1], progress: p => counts.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount))
        ).Train(Data.Studies.Take(64).ToList(), Data.Tokenizer);
        result.Model.Dispose();
        Console.WriteLine($"live tensors after each step: {string.Join(", ", counts)}");
        // Within a stage the count must not grow from step to step (the optimizer's state appears at its first step).
        foreach (var stage in result.History.Select((p, i) => (p.Stage, i)).GroupBy(x => x.Stage))
        {
            var inStage = stage.Select(x => counts[x.i]).Skip(1).ToList();
            Assert.AreEqual(inStage.Min(), inStage.Max(), $"stage {stage.Key}: {string.Join(", ", inStage)}");
        }
    }

    [TestMethod]
    public void AnUnreadableImageIsSkippedAndNamedAndTrainingGoesOn()
    {
        var folder = SyntheticFixture.NewTempFolder();
        var broken = Path.Combine(folder, "broken.jpg");
        File.WriteAllText(broken, "not a jpeg");
        var studies = Data.Studies.Take(32).ToList();
        studies[3] = studies[3] with { ImagePaths = [broken] };
        var result = new PriorTrainer(TrainingFixture.Options([1, 0, 0])).Train(studies, Data.Tokenizer);
        result.Model.Dispose();
        Assert.HasCount(1, result.SkippedSamples);
        StringAssert.StartsWith(result.SkippedSamples[0], broken);
        Assert.HasCount(2, result.History);
    }

    [TestMethod]
    public void ADivergingLossStopsTrainingClearlyAndKeepsTheLastCheckpoint()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var ex = Assert.ThrowsExactly<TrainingDivergedException>(() =>
            new PriorTrainer(TrainingFixture.Options([50, 0, 0], dir, every: 1, peak: [1e9, 1, 1])).Train(
                Data.Studies.Take(32).ToList(),
                Data.Tokenizer
            )
        );
        StringAssert.Contains(ex.Message, "not finite");
        StringAssert.Contains(ex.Message, "last checkpoint is intact");
        var last = TrainingCheckpoint.List(dir)[^1];
        using var model = new PriorModel(PriorModelOptions.Tiny, Data.Tokenizer.VocabularySize);
        model.load(Path.Combine(last, "model.bin"));
        Assert.IsTrue(model.parameters().All(p => p.isfinite().all().item<bool>()), "the kept checkpoint holds finite weights");
    }

    [TestMethod]
    public void StudiesWithoutSentencesAreSkippedAndNamed()
    {
        var rows = new[]
        {
            new Row
            {
                Id = 1,
                Images = ["a.jpg"],
                Sentences = ["One.", "Two."],
            },
            new Row
            {
                Id = 2,
                Images = ["b.jpg"],
                Sentences = [],
            },
            new Row
            {
                Id = 3,
                Images = [],
                Sentences = ["Three."],
            },
        };
        var view = new MLContext().Data.LoadFromEnumerable(rows);
        var summary = new DataLoadSummary();
        var studies = TrainingStudies.FromDataView(view, "Images", "Sentences", summary, "Id");
        Assert.HasCount(1, studies);
        Assert.AreEqual(1, summary.Count(SkipReason.NoUsableSection));
        Assert.AreEqual("b.jpg", summary.Items.Single(i => i.Reason == SkipReason.NoUsableSection).Path);
        Assert.AreEqual(1, summary.Count(SkipReason.NoFrontalImage));
        var missing = Assert.ThrowsExactly<ArgumentException>(() => TrainingStudies.FromDataView(view, "Pictures", "Sentences", summary));
        StringAssert.Contains(missing.Message, "'Pictures'");
    }

    private sealed class Row
    {
        public long Id { get; set; }
        public string[] Images { get; set; } = [];
        public string[] Sentences { get; set; } = [];
    }
}
