using System.Diagnostics;
using System.Text.Json;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Interop;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// Trains PRIOR in its three stages (method.md §3): each stage starts a fresh AdamW (one parameter group, weight
/// decay 1e-6; with decoupled stages a second group for the heads only stages 2–3 train, on their stage's own
/// schedule) with a per-step warm-up and cosine schedule, and computes its own loss set. Every step runs in a
/// dispose scope; batches are prepared by background workers. Checkpoints (model, optimizer, position, random
/// state) are written atomically every N steps and at stage ends, and a resumed run continues exactly where the
/// interrupted one stopped. A NaN or infinite loss stops training before the step is applied.
/// </summary>
internal sealed class PriorTrainer
{
    private readonly PriorTrainerOptions _options;

    /// <summary>Creates a trainer; the options are validated here.</summary>
    public PriorTrainer(PriorTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>Trains on <paramref name="studies"/> with <paramref name="tokenizer"/>'s vocabulary.</summary>
    public PriorTrainingResult Train(
        IReadOnlyList<TrainingStudy> studies,
        ReportTokenizer tokenizer,
        CancellationToken cancellation = default
    )
    {
        ArgumentNullException.ThrowIfNull(studies);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var o = _options;
        // The initial image weights are read from their file once: for the model's sizes and then for its weights.
        var modelOptions = o.FitInitialWeights(out var initialImage, out var initialImageReport);
        if (tokenizer.MaxLength != modelOptions.MaxTokens)
            throw new ArgumentException(
                $"The tokenizer pads to {tokenizer.MaxLength} tokens but the model expects MaxTokens = {modelOptions.MaxTokens}.",
                nameof(tokenizer)
            );
        var device = ComputeDevices.Resolve(o.Device);
        random.manual_seed(o.Seed);
        PriorModel model;
        using (TorchGcGuard.Enter())
            model = new PriorModel(modelOptions, tokenizer.VocabularySize);
        var initial = new List<WeightImportReport>();
        if (initialImage is not null)
        {
            initial.Add(PriorWeights.LoadImageEncoder(model, initialImage, initialImageReport!, o.AllowPartialInitialWeights));
            foreach (var tensor in initialImage.Values)
                tensor.Dispose(); // the model holds copies
        }
        if (o.InitialTextWeights is { } textWeights)
        {
            var folder = new HuggingFaceBertFolder(textWeights);
            if (tokenizer.VocabularySize != folder.Config.VocabSize)
                throw new ArgumentException(
                    $"{textWeights}: the BERT has {folder.Config.VocabSize} word embeddings but the tokenizer's vocabulary has "
                        + $"{tokenizer.VocabularySize} tokens; tokenize with {folder.VocabularyPath}.",
                    nameof(tokenizer)
                );
            initial.Add(PriorWeights.LoadTextEncoder(model, folder, o.AllowPartialInitialWeights));
        }
        var modelKey = JsonSerializer.Serialize(model.Options);
        using var cache = o.ImageCache is { } cachePath ? new ImageCache(cachePath) : null;
        var images = new ImagePreprocessor(o.Model.ImageSize) { Cache = cache };
        var loader = new BatchLoader(studies, tokenizer, images, o.BatchSize, o.Seed, o.Workers, o.Prefetch);
        int stepsPerEpoch = loader.BatchesPerEpoch;

        var position = new TrainingPosition(0, 0, 0, 0);
        string? resumeFrom = null;
        var notices = new List<string>();
        void Notice(string message)
        {
            notices.Add(message);
            o.Notice?.Invoke(message);
        }
        if (o.CheckpointDirectory is { } checkpointDirectory)
        {
            foreach (var stale in TrainingCheckpoint.RemoveStale(checkpointDirectory))
                Notice($"removed {stale}, the temporary folder of a checkpoint write that never finished");
        }
        if (o.Resume)
        {
            (string Path, TrainingPosition Position)? found;
            using (TorchGcGuard.Enter())
                found = TrainingCheckpoint.LoadNewestGood(o.CheckpointDirectory!, o.Seed, modelKey, model, Notice);
            if (found is { } good)
            {
                (resumeFrom, position) = good;
                Notice($"resuming from {resumeFrom}");
            }
            else if (TrainingCheckpoint.List(o.CheckpointDirectory!).Count > 0)
            {
                throw new InvalidDataException(
                    $"{o.CheckpointDirectory}: every checkpoint is damaged ({string.Join("; ", notices)}); remove the folder to start over."
                );
            }
        }
        model.to(device);
        model.train();

        var history = new Queue<TrainingProgress>();
        var bankUsage = new List<PrototypeUsage>();
        var gradientShares = new List<GradientShare>();
        using var monitor = new PrototypeBankMonitor(model.Options.Prototypes, device);
        var skipped = new List<string>();
        long globalStep = position.GlobalStep;
        // The run's one optimizer when it is kept across stages (every step sets its learning rate).
        // Decoupled stages 2-3 train new heads on the towers' frozen-by-construction features: the heads get a group of
        // their own on the stage's own warm-up and cosine, not the tail of stage 1's decaying curve (which left the
        // prototype decoder at a tenth of the original's stage-3 peak).
        bool headsOwnSchedule = model.Options.DecoupledPrototypeStages;
        AdamW NewOptimizer(double lr)
        {
            if (!headsOwnSchedule)
                return new AdamW(model.parameters(), lr, weight_decay: o.WeightDecay);
            var heads = model.PrototypeHeadParameters().ToList();
            var headSet = heads.Select(p => p.Handle).ToHashSet();
            var towers = model.parameters().Where(p => !headSet.Contains(p.Handle)).ToList();
            return new AdamW(
                [
                    new AdamW.ParamGroup(towers, lr: lr, weight_decay: o.WeightDecay),
                    new AdamW.ParamGroup(heads, lr: lr, weight_decay: o.WeightDecay),
                ],
                lr,
                o.WeightDecay
            );
        }
        using var keptOptimizer = o.KeepOptimizerStateAcrossStages ? NewOptimizer(0) : null;
        for (int stageIndex = position.StageIndex; stageIndex < 3; stageIndex++)
        {
            int epochs = o.EpochsPerStage[stageIndex];
            if (epochs == 0)
                continue;
            var stage = (PriorStage)(stageIndex + 1);
            // Continuous: stage 1's curve stretched over every stage's epochs; this stage reads it from its first epoch on.
            bool continuous = o.StageSchedule == StageSchedule.Continuous;
            var schedule = continuous
                ? new WarmupCosineSchedule(
                    o.StartLearningRates[0],
                    o.PeakLearningRates[0],
                    o.WarmupEpochs[0] * stepsPerEpoch,
                    o.EpochsPerStage.Sum() * stepsPerEpoch
                )
                : new WarmupCosineSchedule(
                    o.StartLearningRates[stageIndex],
                    o.PeakLearningRates[stageIndex],
                    o.WarmupEpochs[stageIndex] * stepsPerEpoch,
                    epochs * stepsPerEpoch
                );
            int scheduleOffset = continuous ? o.EpochsPerStage.Take(stageIndex).Sum() * stepsPerEpoch : 0;
            // The heads' own curve in decoupled stages 2-3 (the stage's start, peak and warm-up).
            var headSchedule =
                headsOwnSchedule && stageIndex > 0
                    ? new WarmupCosineSchedule(
                        o.StartLearningRates[stageIndex],
                        o.PeakLearningRates[stageIndex],
                        o.WarmupEpochs[stageIndex] * stepsPerEpoch,
                        epochs * stepsPerEpoch
                    )
                    : null;
            // Each stage's own optimizer (the original's), or the run's one.
            using var ownOptimizer = keptOptimizer is null ? NewOptimizer(schedule.At(scheduleOffset)) : null;
            var optimizer = ownOptimizer ?? keptOptimizer!;
            bool resumingHere = resumeFrom is not null && stageIndex == position.StageIndex && (position.Epoch > 0 || position.Batch > 0);
            // A checkpoint at a stage's start holds the run's optimizer when it is kept across stages.
            bool resumingAtStageStart =
                resumeFrom is not null && stageIndex == position.StageIndex && !resumingHere && o.KeepOptimizerStateAcrossStages;
            if (resumingHere || resumingAtStageStart)
                using (TorchGcGuard.Enter())
                    TrainingCheckpoint.LoadOptimizer(resumeFrom!, optimizer);
            int firstEpoch = stageIndex == position.StageIndex ? position.Epoch : 0;
            bool usesBank = stage >= PriorStage.Prototypes;
            if (usesBank && resumingHere && position.BankUsage is { } counts)
                monitor.Restore(counts);
            bool firstBankStage = Enumerable.Range(1, Math.Max(0, stageIndex - 1)).All(i => o.EpochsPerStage[i] == 0);
            if (
                usesBank
                && firstBankStage
                && !resumingHere
                && (o.PrototypeInitialization == PrototypeInitialization.KMeans || model.sentence_bank.center is not null)
            )
                Notice(InitializeBank(model, studies, tokenizer, o));

            for (int epoch = firstEpoch; epoch < epochs; epoch++)
            {
                int firstBatch = stageIndex == position.StageIndex && epoch == position.Epoch ? position.Batch : 0;
                // Decoupled stages 2-3 continue stage 1's data order (its towers train on what a stage-1-only run
                // of the same total epochs sees); otherwise each stage has its own.
                int epochKey = model.Options.DecoupledPrototypeStages
                    ? o.EpochsPerStage.Take(stageIndex).Sum() + epoch
                    : stageIndex * 100_000 + epoch;
                int step = firstBatch;
                var batches = loader.Epoch(epochKey, firstBatch, cancellation);
                if (o.PrebuildBatches)
                    batches = batches.ToList();
                var clock = Stopwatch.StartNew();
                foreach (var host in batches)
                {
                    double waited = clock.Elapsed.TotalSeconds;
                    cancellation.ThrowIfCancellationRequested();
                    skipped.AddRange(host.Skipped);
                    double lr = schedule.At(scheduleOffset + epoch * stepsPerEpoch + step);
                    double headLr = headSchedule?.At(epoch * stepsPerEpoch + step) ?? lr;
                    var groups = optimizer.ParamGroups.ToList();
                    for (int g = 0; g < groups.Count; g++)
                        groups[g].LearningRate = headsOwnSchedule && g == 1 ? headLr : lr;
                    IReadOnlyDictionary<string, double> values;
                    using (TorchGcGuard.Enter())
                    using (var scope = NewDisposeScope())
                    {
                        if (host.Count < 2)
                            throw new InvalidDataException(
                                $"Stage {(int)stage}, epoch {epoch + 1}, step {step + 1}: fewer than 2 readable samples in the batch "
                                    + $"({string.Join("; ", host.Skipped)})."
                            );
                        var batch = ToDevice(host, o.Model.ImageSize, device);
                        optimizer.zero_grad();
                        var losses = model.call(batch, stage);
                        var named = losses.ReadValues();
                        if (named.Values.Any(v => !double.IsFinite(v)))
                        {
                            throw new TrainingDivergedException(
                                $"Stage {(int)stage}, epoch {epoch + 1}, step {step + 1}: a loss is not finite "
                                    + $"({string.Join(", ", named.Select(kv => $"{kv.Key} {kv.Value}"))}). "
                                    + "The step was not applied; the last checkpoint is intact. Lower the learning rate or set "
                                    + "GradientClipNorm."
                            );
                        }
                        if (o.MeasureGradientShares && step == 0)
                        {
                            var share = GradientShare.Measure(model, losses, stage, epoch);
                            gradientShares.Add(share);
                            Notice(share.ToString());
                        }
                        losses.Total.backward();
                        o.AfterBackward?.Invoke(model);
                        // A finite loss can still have NaN or infinite gradients (an overflow in a backward pass):
                        // stopping here keeps NaN weights out of the model and out of every later checkpoint.
                        if (FirstNonFiniteGradient(model) is { } bad)
                        {
                            throw new TrainingDivergedException(
                                $"Stage {(int)stage}, epoch {epoch + 1}, step {step + 1}: the gradient of {bad} is not finite although "
                                    + $"the loss is ({named["total"]}). "
                                    + "The step was not applied; the last checkpoint is intact. Lower the learning rate or set "
                                    + "GradientClipNorm."
                            );
                        }
                        if (o.GradientClipNorm is { } clip)
                            nn.utils.clip_grad_norm_(model.parameters(), clip);
                        optimizer.step();
                        if (losses.Bank is { } observed)
                            monitor.Observe(observed);
                        values = named;
                    }
                    globalStep++;
                    double seconds = clock.Elapsed.TotalSeconds;
                    var progress = new TrainingProgress(
                        stage,
                        epoch,
                        step,
                        stepsPerEpoch,
                        globalStep,
                        values,
                        lr,
                        host.Count / Math.Max(seconds, 1e-9),
                        waited / Math.Max(seconds, 1e-9)
                    );
                    history.Enqueue(progress);
                    if (history.Count > o.HistoryLimit)
                        history.Dequeue();
                    o.Progress?.Invoke(progress);
                    step++;
                    if (usesBank && step == stepsPerEpoch)
                    {
                        // The epoch's usage, and its restarts, come before the epoch-end checkpoint, which then holds them.
                        PrototypeUsage usage;
                        using (TorchGcGuard.Enter())
                            usage = monitor.EndEpoch(stage, epoch, model, o.RestartUnusedPrototypes, studies, tokenizer, o.Seed);
                        bankUsage.Add(usage);
                        Notice(usage.ToString());
                    }
                    if (o.CheckpointDirectory is { } dir && o.CheckpointEverySteps > 0 && globalStep % o.CheckpointEverySteps == 0)
                    {
                        var next =
                            step < stepsPerEpoch
                                ? new TrainingPosition(stageIndex, epoch, step, globalStep)
                                {
                                    BankUsage = usesBank ? monitor.Counts() : null,
                                }
                                : new TrainingPosition(stageIndex, epoch + 1, 0, globalStep);
                        if (next.Epoch < epochs)
                            using (TorchGcGuard.Enter())
                                TrainingCheckpoint.Save(dir, model, optimizer, next, o.Seed, modelKey, o.CheckpointsToKeep);
                    }
                    clock.Restart();
                }
            }
            if (o.CheckpointDirectory is { } stageDir)
                using (TorchGcGuard.Enter())
                    TrainingCheckpoint.Save(
                        stageDir,
                        model,
                        optimizer,
                        new TrainingPosition(stageIndex + 1, 0, 0, globalStep),
                        o.Seed,
                        modelKey,
                        o.CheckpointsToKeep
                    );
        }
        if (cache is not null)
            Notice(
                $"image cache {cache.FilePath} ({cache.Side} × {cache.Side}): {images.CacheHits} images read from it, "
                    + $"{images.CacheMisses} decoded from their files (not in it, or changed since)"
            );
        model.eval();
        return new PriorTrainingResult(model, history.ToList(), skipped)
        {
            InitialWeights = initial,
            Notices = notices,
            PrototypeUsage = bankUsage,
            GradientShares = gradientShares,
        };
    }

    // The bank's start from the stage-1 text tower's vectors of a seeded sample of training sentences: k-means centres,
    // or (random start) only the centred-cosine bank's centre.
    private static string InitializeBank(
        PriorModel model,
        IReadOnlyList<TrainingStudy> studies,
        ReportTokenizer tokenizer,
        PriorTrainerOptions o
    )
    {
        var order = Enumerable.Range(0, studies.Count).ToList();
        DeterministicRandom.Derive(o.Seed, "bank-init", 0).Shuffle(order);
        var reports = new List<IReadOnlyList<string>>();
        int sentences = 0;
        foreach (var i in order)
        {
            if (sentences >= o.PrototypeInitializationSentences)
                break;
            reports.Add(studies[i].Sentences);
            sentences += studies[i].Sentences.Count;
        }
        using var guard = TorchGcGuard.Enter();
        var encoded = SentenceVectors.Encode(model, tokenizer, reports);
        using var vectors = encoded.Vectors;
        if (o.PrototypeInitialization != PrototypeInitialization.KMeans)
        {
            model.sentence_bank.SetCenter(vectors);
            return FormattableString.Invariant(
                    $"sentence bank centre set to the mean of {vectors.shape[0]} sentences of {reports.Count} studies"
                ) + " (prototypes keep their random start)";
        }
        var result = model.sentence_bank.InitializeFromSentences(vectors, o.Seed);
        result.Directions.Dispose();
        result.Assignment.Dispose();
        return FormattableString.Invariant(
                $"sentence bank initialised by spherical k-means: {model.Options.Prototypes} prototypes from {vectors.shape[0]} "
            ) + FormattableString.Invariant($"sentences of {reports.Count} studies, mean cosine to the centre {result.MeanCosine:0.000}");
    }

    // One device-to-host read: the sum of every gradient's non-finite count; the name is looked up only when it is not 0.
    private static string? FirstNonFiniteGradient(PriorModel model)
    {
        using var scope = NewDisposeScope();
        var grads = model.named_parameters().Where(p => p.parameter.grad is not null).ToList();
        if (grads.Count == 0)
            return null;
        var counts = stack(grads.Select(p => p.parameter.grad!.isfinite().logical_not().sum()).ToArray());
        if (counts.sum().item<long>() == 0)
            return null;
        var perParameter = counts.cpu().data<long>().ToArray();
        return grads[Array.FindIndex(perParameter, c => c > 0)].name;
    }

    // On a GPU the copies are queued without waiting (PyTorch's guidance: non_blocking alone, without pinning first,
    // is the usual win; pinning a fresh array costs as much as it saves); on the CPU .to is a no-op.
    private static PriorBatch ToDevice(HostBatch host, int size, Device device)
    {
        bool queued = device.type == DeviceType.CUDA;
        return new(
            tensor(host.Images, [host.Count, 1, size, size]).to(device, non_blocking: queued),
            tensor(host.InputIds, [host.Count, host.Length]).to(device, non_blocking: queued),
            tensor(host.AttentionMask, [host.Count, host.Length]).to(device, non_blocking: queued),
            tensor(host.SentenceIndex, [host.Count, host.Length]).to(device, non_blocking: queued)
        );
    }
}
