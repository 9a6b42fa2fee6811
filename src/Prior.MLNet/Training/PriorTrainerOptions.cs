using Prior.MLNet.Interop;
using Prior.MLNet.Modeling;

namespace Prior.MLNet.Training;

/// <summary>
/// How PRIOR is trained. Defaults follow the paper (method.md §3) where they make sense for a single machine; the
/// learning rates of the small presets are larger because they start from random weights, not Bio_ClinicalBERT.
/// </summary>
internal sealed class PriorTrainerOptions
{
    /// <summary>The network's sizes. Default <see cref="PriorModelOptions.Tiny"/>.</summary>
    public PriorModelOptions Model { get; init; } = PriorModelOptions.Tiny;

    /// <summary>Epochs of stages 1, 2 and 3 (0 skips a stage). Default [20, 30, 100] (the paper's).</summary>
    public IReadOnlyList<int> EpochsPerStage { get; init; } = [20, 30, 100];

    /// <summary>Studies per batch, at least 2 (contrastive losses need negatives). Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate per stage. Default [1e-5, 1e-5, 5e-6] (the paper's, for pretrained towers).</summary>
    public IReadOnlyList<double> PeakLearningRates { get; init; } = [1e-5, 1e-5, 5e-6];

    /// <summary>Warm-up start learning rate per stage. Default [1e-7, 1e-7, 1e-8].</summary>
    public IReadOnlyList<double> StartLearningRates { get; init; } = [1e-7, 1e-7, 1e-8];

    /// <summary>Warm-up length per stage, in epochs. Default [1, 1, 5].</summary>
    public IReadOnlyList<int> WarmupEpochs { get; init; } = [1, 1, 5];

    /// <summary>
    /// How the learning rate moves across stages. Default <see cref="Training.StageSchedule.PerStage"/> (the original's).
    /// </summary>
    public StageSchedule StageSchedule { get; init; } = StageSchedule.PerStage;

    /// <summary>
    /// One AdamW for the whole run, so the moments of the parameters stage 1 trained carry into stages 2–3 (those
    /// stages' new parameters start their own moments, with their own bias correction). False (default): the
    /// original's, which runs each stage as a separate training with a fresh optimizer: the first step of stages 2
    /// and 3 then moves every tower weight by about the learning rate, whatever its gradient's history.
    /// </summary>
    public bool KeepOptimizerStateAcrossStages { get; init; }

    /// <summary>
    /// How the bank starts when the first prototype stage (2, or 3 when 2 is skipped) begins from a stage-1 model.
    /// Default <see cref="Training.PrototypeInitialization.Random"/> (the original's): the k-means start keeps every
    /// prototype in use but did not raise zero-shot accuracy or retrieval in the ablation (docs/training.md).
    /// </summary>
    public PrototypeInitialization PrototypeInitialization { get; init; } = PrototypeInitialization.Random;

    /// <summary>Sentences (from a seeded sample of studies) clustered for the k-means start. Default 16,384.</summary>
    public int PrototypeInitializationSentences { get; init; } = 16_384;

    /// <summary>
    /// At the end of each epoch of stages 2–3, move every prototype no sentence chose onto the training sentences the
    /// bank serves worst. Default false (the original's; see <see cref="PrototypeInitialization"/> for why).
    /// </summary>
    public bool RestartUnusedPrototypes { get; init; }

    /// <summary>
    /// At the first step of every epoch, measure each loss term's gradient on the two towers (<see cref="GradientShare"/>):
    /// one extra backward pass per term; the step itself is unchanged. Default false.
    /// </summary>
    public bool MeasureGradientShares { get; init; }

    /// <summary>AdamW weight decay (one parameter group). Default 1e-6.</summary>
    public double WeightDecay { get; init; } = 1e-6;

    /// <summary>Gradient-norm clipping; null (default) for none.</summary>
    public double? GradientClipNorm { get; init; }

    /// <summary>Where to run. Default <see cref="ComputeDevice.Auto"/>.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>PRIOR's own seed (the original's <c>seed_everything(114514)</c>), the default of every seed in this library.</summary>
    public const long DefaultSeed = Defaults.Seed;

    /// <summary>Seed for weights, data order, augmentation and noise: CPU runs repeat exactly. Default <see cref="DefaultSeed"/> (the
    /// paper's).</summary>
    public long Seed { get; init; } = DefaultSeed;

    /// <summary>Folder for checkpoints; null (default) writes none.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Write a checkpoint every this many steps (and always at the end of each stage); 0 for stage ends only. Default
    /// 100.</summary>
    public int CheckpointEverySteps { get; init; } = 100;

    /// <summary>Checkpoints kept (the newest); at least 1. Default 2.</summary>
    public int CheckpointsToKeep { get; init; } = 2;

    /// <summary>Continue from the newest checkpoint in <see cref="CheckpointDirectory"/> when there is one. Default false.</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// An image cache written by <c>prior cache</c> (<see cref="Data.Images.ImageCache"/>) to read images from instead of
    /// decoding their files every epoch; null (default) decodes. Its side must be at least the network's image size.
    /// </summary>
    public string? ImageCache { get; init; }

    /// <summary>CPU workers that build batches. Default: the processor count.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Batches prepared ahead of the training loop. Default 4.</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>
    /// Image-tower weights to start from, as the paper does: PRIOR's <c>prior_resnet50.pt</c> or torchvision's ImageNet
    /// ResNet (its RGB conv1 folded into one channel). The ResNet's kind, depth and width are taken from the file.
    /// Null (default): random.
    /// </summary>
    public string? InitialImageWeights { get; init; }

    /// <summary>
    /// A Hugging Face BERT folder (e.g. Bio_ClinicalBERT) to start the text tower from; its config.json sets the
    /// text encoder's sizes, and the tokenizer passed to training must use its vocab.txt. Null (default): random.
    /// </summary>
    public string? InitialTextWeights { get; init; }

    /// <summary>Accept initial weights that leave more than the attention pool random (reported). Default false.</summary>
    public bool AllowPartialInitialWeights { get; init; }

    /// <summary>
    /// Step records kept in <see cref="PriorTrainingResult.History"/>: the most recent this many (older ones have
    /// gone to <see cref="Progress"/> and the log), so a long run's memory stays flat. Default 100,000.
    /// </summary>
    public int HistoryLimit { get; init; } = 100_000;

    /// <summary>Receives notices as they happen: stale temporary folders removed, damaged checkpoints skipped, the resume point.</summary>
    public Action<string>? Notice { get; init; }

    /// <summary>Fault injection for tests: runs after each backward pass, before the gradients are checked.</summary>
    internal Action<PriorModel>? AfterBackward { get; init; }

    /// <summary>
    /// Builds each epoch's batches in full before its first step instead of beside the steps: the same batches, with
    /// none of the input pipeline's work overlapping training. For <c>prior bench --suite pipeline</c>, which compares
    /// the two to measure what the pipeline costs the steps; it holds an epoch of batches in memory.
    /// </summary>
    internal bool PrebuildBatches { get; init; }

    /// <summary>Called after every step.</summary>
    public Action<TrainingProgress>? Progress { get; init; }

    /// <summary>
    /// Defaults for a preset. <c>paper</c>: the paper's schedule (for pretrained towers on GPUs). <c>small</c> and
    /// <c>tiny</c> train from random weights on a CPU: shorter stages, larger learning rates, one warm-up epoch.
    /// </summary>
    public static PriorTrainerOptions ForPreset(string preset) => ForPreset(PriorPresets.Parse(preset));

    /// <summary>Defaults for <paramref name="preset"/> (see <see cref="ForPreset(string)"/>).</summary>
    public static PriorTrainerOptions ForPreset(PriorPreset preset) =>
        preset switch
        {
            PriorPreset.Paper => new PriorTrainerOptions { Model = PriorModelOptions.Paper },
            PriorPreset.Small => new PriorTrainerOptions
            {
                Model = PriorModelOptions.Small,
                EpochsPerStage = [12, 4, 4],
                BatchSize = 16,
                PeakLearningRates = [3e-4, 2e-4, 1e-4],
                StartLearningRates = [1e-6, 1e-6, 1e-7],
                WarmupEpochs = [1, 1, 1],
            },
            PriorPreset.Tiny => new PriorTrainerOptions
            {
                Model = PriorModelOptions.Tiny,
                EpochsPerStage = [20, 3, 3],
                BatchSize = 16,
                PeakLearningRates = [1e-3, 5e-4, 2e-4],
                StartLearningRates = [1e-5, 1e-6, 1e-7],
                WarmupEpochs = [1, 1, 1],
            },
            _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "unknown preset; use Tiny, Small or Paper"),
        };

    /// <summary>
    /// <see cref="Model"/> with the sizes of <see cref="InitialImageWeights"/> and <see cref="InitialTextWeights"/>
    /// (ResNet kind, depth, width; BERT sizes and heads) in place of the preset's.
    /// </summary>
    public PriorModelOptions ModelFittingInitialWeights()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        return FitInitialWeights(out _, out _);
    }

    /// <summary>
    /// <see cref="ModelFittingInitialWeights"/>, also handing back the image tensors it read (and their report), so
    /// that the trainer loads them without reading the file a second time.
    /// </summary>
    internal PriorModelOptions FitInitialWeights(
        out IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? image,
        out WeightImportReport? imageReport
    )
    {
        var model = Model;
        image = null;
        imageReport = null;
        if (InitialImageWeights is { } path)
        {
            imageReport = new WeightImportReport(path);
            image = PriorWeights.ReadImageEncoder(path, PriorWeightFormat.Auto, imageReport);
            var (block, layers, width) = PriorWeights.ImageEncoderShape(image, path);
            model = model with { ResNetBlock = block, ResNetLayers = layers, ResNetWidth = width };
        }
        if (InitialTextWeights is { } text)
        {
            var config = new HuggingFaceBertFolder(text).Config;
            model = model with { Text = config, MaxTokens = Math.Min(model.MaxTokens, config.MaxPositionEmbeddings) };
        }
        return model;
    }

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Model);
        Model.Validate();
        if (EpochsPerStage.Count != 3 || EpochsPerStage.Any(e => e < 0) || EpochsPerStage.Sum() == 0)
            throw new ArgumentException(
                $"EpochsPerStage must hold three non-negative counts, not all 0; got [{string.Join(", ", EpochsPerStage)}]."
            );
        foreach (
            var (name, list) in new[] { (nameof(PeakLearningRates), PeakLearningRates), (nameof(StartLearningRates), StartLearningRates) }
        )
        {
            if (list.Count != 3 || list.Any(v => v < 0 || !double.IsFinite(v)))
                throw new ArgumentException($"{name} must hold three finite, non-negative values; got [{string.Join(", ", list)}].");
        }
        if (WarmupEpochs.Count != 3 || WarmupEpochs.Any(e => e < 0))
            throw new ArgumentException($"WarmupEpochs must hold three non-negative counts; got [{string.Join(", ", WarmupEpochs)}].");
        if (BatchSize < 2)
            throw new ArgumentOutOfRangeException(
                nameof(BatchSize),
                BatchSize,
                "BatchSize must be at least 2 (contrastive losses need negatives)."
            );
        if (WeightDecay < 0)
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must be >= 0");
        if (GradientClipNorm is <= 0)
            throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), GradientClipNorm, "must be positive, or null for none");
        if (CheckpointEverySteps < 0)
            throw new ArgumentOutOfRangeException(nameof(CheckpointEverySteps), CheckpointEverySteps, "must be >= 0");
        if (HistoryLimit < 0)
            throw new ArgumentOutOfRangeException(nameof(HistoryLimit), HistoryLimit, "must be >= 0");
        if (CheckpointsToKeep < 1)
            throw new ArgumentOutOfRangeException(nameof(CheckpointsToKeep), CheckpointsToKeep, "must be >= 1");
        if (PrototypeInitializationSentences < 1)
            throw new ArgumentOutOfRangeException(
                nameof(PrototypeInitializationSentences),
                PrototypeInitializationSentences,
                "must be at least 1"
            );
        if (Resume && CheckpointDirectory is null)
            throw new ArgumentException("Resume needs a CheckpointDirectory.");
        if (InitialImageWeights is { } image && !File.Exists(image))
            throw new FileNotFoundException($"{image}: the initial image weights do not exist.", image);
        if (InitialTextWeights is { } text && !Directory.Exists(text))
            throw new DirectoryNotFoundException($"{text}: the initial BERT folder does not exist.");
    }
}
