using Prior.MLNet.Training;

namespace Prior.MLNet.Transforms;

/// <summary>Options of <c>mlContext.Transforms.PriorPretrain</c>. Every default is documented; options are validated when the estimator is
/// built.</summary>
public sealed class PriorPretrainOptions
{
    /// <summary>Training input: a text vector of image paths per study. Default "ImagePaths".</summary>
    public string ImagePathsColumnName { get; init; } = Defaults.ImagePathsColumnName;

    /// <summary>Training input: a text vector of sentences per study. Default "Sentences".</summary>
    public string SentencesColumnName { get; init; } = Defaults.SentencesColumnName;

    /// <summary>The fitted transformer's image input (a path, an MLImage or preprocessed pixels). Default "ImagePath".</summary>
    public string ImagePathColumnName { get; init; } = Defaults.ImagePathColumnName;

    /// <summary>The fitted transformer's image embedding output. Default "ImageEmbedding".</summary>
    public string ImageEmbeddingColumnName { get; init; } = Defaults.ImageEmbeddingColumnName;

    /// <summary>The fitted transformer's report embedding output. Default "ReportEmbedding".</summary>
    public string ReportEmbeddingColumnName { get; init; } = Defaults.ReportEmbeddingColumnName;

    /// <summary>Network sizes and pretraining schedule. Default <see cref="PriorPreset.Tiny"/>.</summary>
    public PriorPreset Preset { get; init; } = Defaults.Preset;

    /// <summary>Epochs of stages 1, 2, 3; null (default) for the preset's.</summary>
    public IReadOnlyList<int>? EpochsPerStage { get; init; }

    /// <summary>Studies per batch; null (default) for the preset's.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Where to train. Default auto (CUDA when present).</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>Checkpoint folder; null (default) for none.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Resume from the newest checkpoint. Default false.</summary>
    public bool Resume { get; init; }

    /// <summary>Seed of weights, data order, augmentation and noise; null (default) takes the MLContext's seed, or PRIOR's 114514 when the
    /// MLContext has none.</summary>
    public long? Seed { get; init; }

    /// <summary>A vocab.txt (e.g. Bio_ClinicalBERT's); null (default) builds one from the training sentences.</summary>
    public string? VocabularyPath { get; init; }

    /// <summary>Image-tower weights to start from (<c>prior_resnet50.pt</c> or torchvision's ImageNet ResNet); null (default) for
    /// random.</summary>
    public string? InitialImageWeights { get; init; }

    /// <summary>A Hugging Face BERT folder (e.g. Bio_ClinicalBERT) to start the text tower from, its vocab.txt and casing included; null
    /// (default) for random.</summary>
    public string? InitialTextWeights { get; init; }

    /// <summary>Accept initial weights that leave more than the attention pool random. Default false.</summary>
    public bool AllowPartialInitialWeights { get; init; }

    /// <summary>What the fitted transformer does with an unreadable image: fail (default) or skip it with NaN embeddings.</summary>
    public UnreadableImageHandling UnreadableImages { get; init; } = UnreadableImageHandling.Fail;

    /// <summary>With <see cref="UnreadableImageHandling.Skip"/>, the fitted transformer's column of reasons. Default
    /// "ImageError".</summary>
    public string ImageErrorColumnName { get; init; } = Defaults.ImageErrorColumnName;

    /// <summary>Rows computed together by the fitted transformer. Default 32.</summary>
    public int InferenceBatchSize { get; init; } = Defaults.InferenceBatchSize;

    /// <summary>The FINDINGS text column the sentence memory reads (with <see cref="ImpressionColumnName"/>). Default "Findings".</summary>
    public string FindingsColumnName { get; init; } = Defaults.FindingsColumnName;

    /// <summary>The IMPRESSION text column the sentence memory reads. Default "Impression".</summary>
    public string ImpressionColumnName { get; init; } = Defaults.ImpressionColumnName;

    /// <summary>
    /// The distinct training sentences kept (most frequent first) in the network's sentence memory, from which
    /// <c>PriorReportDraft</c> writes drafts; the memory also keeps up to as many training reports whole (an even sample
    /// of more). Read from <see cref="FindingsColumnName"/> and <see cref="ImpressionColumnName"/> when the data has them,
    /// else from <see cref="SentencesColumnName"/>. 0 builds none. Default 20,000.
    /// </summary>
    public int SentenceMemorySize { get; init; } = 20_000;

    /// <summary>Peak learning rate of each stage; null (default) keeps the preset's (<see
    /// cref="PriorTrainerOptions.ForPreset(PriorPreset)"/>).</summary>
    public IReadOnlyList<double>? PeakLearningRates { get; init; }

    /// <summary>Stage 3's generation losses leave the text side as a fixed target. Default false (the original's; see <see
    /// cref="Modeling.PriorModelOptions.DetachGenerationTargets"/>).</summary>
    internal bool DetachGenerationTargets { get; init; }

    /// <summary>Keep stage 1's alignment of the raw report embedding in stages 2–3. Default false (the original's; see <see
    /// cref="Modeling.PriorModelOptions.KeepRawGlobalAlignment"/>).</summary>
    internal bool KeepRawGlobalAlignment { get; init; }

    /// <summary>Keep stage 1's local alignment on the raw sentence vectors in stages 2–3. Default false (the original's; see <see
    /// cref="Modeling.PriorModelOptions.KeepRawLocalAlignment"/>).</summary>
    internal bool KeepRawLocalAlignment { get; init; }

    /// <summary>Nothing that goes through the bank moves the text tower in stages 2–3. Default false (the original's; see <see
    /// cref="Modeling.PriorModelOptions.ShieldTextTowerFromBank"/>).</summary>
    internal bool ShieldTextTowerFromBank { get; init; }

    /// <summary>Factor on the image tower's gradient from the global term through the bank in stages 2–3. Default 1 (the original's; see
    /// <see cref="Modeling.PriorModelOptions.PrototypePathImageGradient"/>).</summary>
    internal double PrototypePathImageGradient { get; init; } = 1;

    /// <summary>
    /// The recipe of stages 2–3; it supplies each of <see cref="DecoupledPrototypeStages"/>, <see cref="PrototypeLogits"/>,
    /// <see cref="StageSchedule"/>, <see cref="KeepOptimizerStateAcrossStages"/>, <see cref="PrototypeInitialization"/> and
    /// <see cref="RestartUnusedPrototypes"/> left null. Default <see cref="PriorRecipe.Original"/>.
    /// </summary>
    public PriorRecipe Recipe { get; init; } = PriorRecipe.Original;

    /// <summary>Stages 2–3 train only the bank and the decoders, on detached features, and leave the towers to stage 1's terms. Null
    /// (default): the recipe's (false for the original, true for decoupled; see <see
    /// cref="Modeling.PriorModelOptions.DecoupledPrototypeStages"/>).</summary>
    internal bool? DecoupledPrototypeStages { get; init; }

    /// <summary>How the sentence bank scores sentences against prototypes. Null (default): the recipe's (<see
    /// cref="Modeling.PrototypeLogits.DotProduct"/> for the original, <see cref="Modeling.PrototypeLogits.CenteredCosine"/> for decoupled;
    /// see <see cref="Modeling.PriorModelOptions.PrototypeLogits"/>).</summary>
    internal Modeling.PrototypeLogits? PrototypeLogits { get; init; }

    /// <summary>The scale of <see cref="Modeling.PrototypeLogits.CenteredCosine"/> logits. Default 10 (see <see
    /// cref="Modeling.PriorModelOptions.PrototypeLogitScale"/>).</summary>
    internal double PrototypeLogitScale { get; init; } = 10;

    /// <summary>An image cache written by <c>prior cache</c> to read images from; null (default) decodes every file (see <see
    /// cref="PriorTrainerOptions.ImageCache"/>).</summary>
    public string? ImageCache { get; init; }

    /// <summary>How the learning rate moves across stages. Null (default): the recipe's (<see cref="StageSchedule.PerStage"/> for the
    /// original, <see cref="StageSchedule.Continuous"/> for decoupled; see <see cref="PriorTrainerOptions.StageSchedule"/>).</summary>
    internal StageSchedule? StageSchedule { get; init; }

    /// <summary>One optimizer for the whole run instead of a fresh one per stage. Null (default): the recipe's (false for the original,
    /// true for decoupled; see <see cref="PriorTrainerOptions.KeepOptimizerStateAcrossStages"/>).</summary>
    internal bool? KeepOptimizerStateAcrossStages { get; init; }

    /// <summary>Checkpoint every this many steps (and at each stage's end) when <see cref="CheckpointDirectory"/> is set; 0 only at stage
    /// ends. Default 100.</summary>
    public int CheckpointEverySteps { get; init; } = 100;

    /// <summary>
    /// <paramref name="preset"/> with this object's model settings: the bank size, the image size and the stage 2–3
    /// switches. The one place they are mapped, for <c>PriorPretrain</c> and the <c>prior</c> tool alike.
    /// </summary>
    internal Modeling.PriorModelOptions ApplyTo(Modeling.PriorModelOptions preset) =>
        preset with
        {
            Prototypes = Prototypes ?? preset.Prototypes,
            ImageSize = ImageSize ?? preset.ImageSize,
            DetachGenerationTargets = DetachGenerationTargets,
            KeepRawGlobalAlignment = KeepRawGlobalAlignment,
            KeepRawLocalAlignment = KeepRawLocalAlignment,
            ShieldTextTowerFromBank = ShieldTextTowerFromBank,
            PrototypePathImageGradient = PrototypePathImageGradient,
            DecoupledPrototypeStages = DecoupledPrototypeStages ?? Recipe == PriorRecipe.Decoupled,
            PrototypeLogits = PrototypeLogits
                ?? (Recipe == PriorRecipe.Decoupled ? Modeling.PrototypeLogits.CenteredCosine : Modeling.PrototypeLogits.DotProduct),
            PrototypeLogitScale = PrototypeLogitScale,
        };

    /// <summary>The sentence bank's size; null (default) keeps the preset's (<see
    /// cref="Modeling.PriorModelOptions.Prototypes"/>).</summary>
    public int? Prototypes { get; init; }

    /// <summary>
    /// The network's image side in pixels, a multiple of 32; null (default) keeps the preset's
    /// (<see cref="Modeling.PriorModelOptions.ImageSize"/>). The local features, and so the attention maps, are
    /// ImageSize/32 patches a side; the image tower's cost grows with the square of the size.
    /// </summary>
    public int? ImageSize { get; init; }

    /// <summary>How the bank starts at the first prototype stage. Null (default): the recipe's (<see
    /// cref="PrototypeInitialization.Random"/> for the original, <see cref="PrototypeInitialization.KMeans"/> for decoupled; see <see
    /// cref="PriorTrainerOptions.PrototypeInitialization"/>).</summary>
    internal PrototypeInitialization? PrototypeInitialization { get; init; }

    /// <summary>Restart unused prototypes at each epoch end of stages 2–3. Null (default): the recipe's (false for the original, true for
    /// decoupled; see <see cref="PriorTrainerOptions.RestartUnusedPrototypes"/>).</summary>
    internal bool? RestartUnusedPrototypes { get; init; }

    /// <summary>The schedule and bank switches of the trainer, each set one or its recipe's: the one place the recipe is read besides <see
    /// cref="ApplyTo"/>.</summary>
    internal (StageSchedule Schedule, bool KeepOptimizer, PrototypeInitialization Initialization, bool Restart) TrainerSwitches()
    {
        bool decoupled = Recipe == PriorRecipe.Decoupled;
        return (
            StageSchedule ?? (decoupled ? Training.StageSchedule.Continuous : Training.StageSchedule.PerStage),
            KeepOptimizerStateAcrossStages ?? decoupled,
            PrototypeInitialization ?? (decoupled ? Training.PrototypeInitialization.KMeans : Training.PrototypeInitialization.Random),
            RestartUnusedPrototypes ?? decoupled
        );
    }

    /// <summary>Measure each loss term's gradient on the towers at every epoch's first step (a notice per epoch). Default false (see <see
    /// cref="PriorTrainerOptions.MeasureGradientShares"/>).</summary>
    internal bool MeasureGradientShares { get; init; }

    /// <summary>Receives what training has to say besides progress: the studies it trains on, the bank's start and per-epoch usage, resume
    /// points, checkpoints skipped.</summary>
    public Action<string>? Notice { get; init; }

    /// <summary>Called after every training step (also sent to the MLContext's log).</summary>
    public Action<TrainingProgress>? Progress { get; init; }

    internal void Validate()
    {
        foreach (
            var (name, value) in new[]
            {
                (nameof(ImagePathsColumnName), ImagePathsColumnName),
                (nameof(SentencesColumnName), SentencesColumnName),
                (nameof(ImagePathColumnName), ImagePathColumnName),
                (nameof(ImageEmbeddingColumnName), ImageEmbeddingColumnName),
                (nameof(ReportEmbeddingColumnName), ReportEmbeddingColumnName),
            }
        )
            ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        if (ImageEmbeddingColumnName == ReportEmbeddingColumnName)
            throw new ArgumentException(
                $"ImageEmbeddingColumnName and ReportEmbeddingColumnName are both '{ImageEmbeddingColumnName}'; give them different names."
            );
        if (!Enum.IsDefined(UnreadableImages))
            throw new ArgumentOutOfRangeException(nameof(UnreadableImages), UnreadableImages, "unknown handling");
        if (!Enum.IsDefined(Preset))
            throw new ArgumentOutOfRangeException(nameof(Preset), Preset, "unknown preset; use Tiny, Small or Paper");
        if (SentenceMemorySize < 0)
            throw new ArgumentOutOfRangeException(nameof(SentenceMemorySize), SentenceMemorySize, "must be >= 0");
        if (Prototypes is < 1)
            throw new ArgumentOutOfRangeException(nameof(Prototypes), Prototypes, "must be at least 1, or null for the preset's");
        if (ImageSize is { } size && (size < 32 || size % 32 != 0))
            throw new ArgumentOutOfRangeException(
                nameof(ImageSize),
                ImageSize,
                "must be a positive multiple of 32 (the ResNet's stride), or null for the preset's"
            );
        if (!Enum.IsDefined(Recipe))
            throw new ArgumentOutOfRangeException(nameof(Recipe), Recipe, "unknown recipe; use Original or Decoupled");
        if (PrototypeInitialization is { } start && !Enum.IsDefined(start))
            throw new ArgumentOutOfRangeException(nameof(PrototypeInitialization), start, "unknown initialisation");
        if (StageSchedule is { } schedule && !Enum.IsDefined(schedule))
            throw new ArgumentOutOfRangeException(nameof(StageSchedule), schedule, "unknown schedule");
        if (PrototypeLogits is { } logits && !Enum.IsDefined(logits))
            throw new ArgumentOutOfRangeException(nameof(PrototypeLogits), logits, "unknown logit kind");
        if (CheckpointEverySteps < 0)
            throw new ArgumentOutOfRangeException(nameof(CheckpointEverySteps), CheckpointEverySteps, "must be >= 0");
        if (InferenceBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(InferenceBatchSize), InferenceBatchSize, "must be at least 1");
        if (VocabularyPath is not null && !File.Exists(VocabularyPath))
            throw new FileNotFoundException($"{VocabularyPath}: the vocabulary file does not exist.", VocabularyPath);
    }
}
