using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Modeling;
using Prior.MLNet.Synthetic;
using Prior.MLNet.Text;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Training;

/// <summary>Training data for the trainer tests: synthetic MIMIC-CXR at 64 px, its studies, and a vocabulary built from them.</summary>
internal sealed class TrainingFixture
{
    private static readonly Lazy<TrainingFixture> Shared = new(
        () => new TrainingFixture(700, 21),
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    public static TrainingFixture Instance => Shared.Value;

    public TrainingFixture(int studies, long seed)
    {
        var root = Root = Path.Combine(SyntheticFixture.RunFolder, $"training-{studies}-{seed}");
        SyntheticDatasetGenerator.Generate(
            new SyntheticDatasetOptions
            {
                OutputDirectory = root,
                Studies = studies,
                CheXpertImages = 0,
                ImageSize = 64,
                Seed = seed,
                DefectRate = 0,
            }
        );
        var view = new MLContext().Data.LoadMimicCxr(root);
        Studies = TrainingStudies.FromDataView(
            view,
            MimicCxrColumns.ImagePaths,
            MimicCxrColumns.Sentences,
            new DataLoadSummary(),
            MimicCxrColumns.StudyId
        );
        VocabularyPath = Path.Combine(root, "vocab.txt");
        WordPieceVocabularyBuilder.Write(WordPieceVocabularyBuilder.Build(Studies.SelectMany(s => s.Sentences)), VocabularyPath);
        Tokenizer = new ReportTokenizer(VocabularyPath, PriorModelOptions.Tiny.MaxTokens);
    }

    /// <summary>The synthetic dataset's folder.</summary>
    public string Root { get; }

    public IReadOnlyList<TrainingStudy> Studies { get; }

    public string VocabularyPath { get; }

    public ReportTokenizer Tokenizer { get; }

    /// <summary>Tiny-preset options for tests: a single worker thread count is not required for determinism.</summary>
    public static PriorTrainerOptions Options(
        int[] epochs,
        string? checkpoints = null,
        int every = 0,
        Action<TrainingProgress>? progress = null,
        bool resume = false,
        double[]? peak = null,
        string? initImage = null,
        string? initText = null,
        Action<PriorModel>? afterBackward = null,
        int keep = 2,
        Action<string>? notice = null,
        PrototypeInitialization bankStart = PrototypeInitialization.KMeans,
        bool restart = true,
        StageSchedule schedule = StageSchedule.PerStage,
        bool prebuild = false,
        bool keepOptimizer = false,
        PrototypeLogits logits = PrototypeLogits.DotProduct,
        bool detachTargets = false,
        bool decoupled = false,
        int generatedSentences = 16
    ) =>
        new()
        {
            KeepOptimizerStateAcrossStages = keepOptimizer,
            PrebuildBatches = prebuild,
            StageSchedule = schedule,
            PrototypeInitialization = bankStart,
            RestartUnusedPrototypes = restart,
            AfterBackward = afterBackward,
            CheckpointsToKeep = keep,
            Notice = notice,
            InitialImageWeights = initImage,
            InitialTextWeights = initText,
            Model = PriorModelOptions.Tiny with
            {
                PrototypeLogits = logits,
                DetachGenerationTargets = detachTargets,
                DecoupledPrototypeStages = decoupled,
                GeneratedSentences = generatedSentences,
            },
            EpochsPerStage = epochs,
            BatchSize = 16,
            PeakLearningRates = peak ?? [1e-3, 5e-4, 2e-4],
            // all-zero: weights stay as they start
            StartLearningRates = peak is not null && peak.All(p => p == 0) ? [0, 0, 0] : [1e-5, 1e-6, 1e-7],
            WarmupEpochs = [1, 1, 1],
            Device = ComputeDevice.Cpu,
            Seed = 5,
            CheckpointDirectory = checkpoints,
            CheckpointEverySteps = every,
            Resume = resume,
            Progress = progress,
            Workers = 2,
        };
}
