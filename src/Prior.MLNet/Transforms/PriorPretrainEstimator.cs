using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Prior.MLNet.Data;
using Prior.MLNet.Text;
using Prior.MLNet.Training;

namespace Prior.MLNet.Transforms;

/// <summary>
/// <c>mlContext.Transforms.PriorPretrain(options)</c>: Fit trains PRIOR (three stages, <see cref="PriorTrainer"/>) on the
/// studies of an <see cref="IDataView"/> and returns a <see cref="PriorPretrainTransformer"/> that adds image and report
/// embeddings; its <see cref="PriorMappingTransformer.Network"/> builds the other transformers.
/// </summary>
public sealed class PriorPretrainEstimator : IEstimator<PriorPretrainTransformer>
{
    private readonly IHostEnvironment _environment;
    private readonly PriorPretrainOptions _options;

    internal PriorPretrainEstimator(IHostEnvironment environment, PriorPretrainOptions options)
    {
        _environment = environment ?? throw new ArgumentNullException(nameof(environment));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/>.</summary>
    public PriorPretrainTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        // Every column is checked before hours of training: the two it trains on, and the image column the fitted
        // transformer will read when the data has one.
        CheckColumn(input.Schema, o.ImagePathsColumnName, "a text vector of image paths");
        CheckColumn(input.Schema, o.SentencesColumnName, "a text vector of sentences");
        var defaults = PriorTrainerOptions.ForPreset(o.Preset);
        if (input.Schema.GetColumnOrNull(o.ImagePathColumnName) is not null)
            ImageInput.Check(input.Schema, o.ImagePathColumnName, defaults.Model.ImageSize);
        if (Persistence.MLNetInternals.IsCanceled(_environment))
            throw new OperationCanceledException("PriorPretrain: the MLContext's execution was cancelled before training.");
        var summary = new DataLoadSummary();
        var studies = TrainingStudies.FromDataView(input, o.ImagePathsColumnName, o.SentencesColumnName, summary);
        if (studies.Count < 2)
            throw new ArgumentException(
                $"PriorPretrain needs at least two usable studies; the data has {studies.Count} ({summary}).",
                nameof(input)
            );
        o.Notice?.Invoke($"studies: {studies.Count} for training ({summary})");
        long seed = o.Seed ?? Persistence.MLNetInternals.Seed(_environment) ?? PriorTrainerOptions.DefaultSeed;
        var epochs = o.EpochsPerStage ?? defaults.EpochsPerStage;
        using var cancellation = new CancellationTokenSource();
        var switches = o.TrainerSwitches();
        var trainerOptions = new PriorTrainerOptions
        {
            Model = o.ApplyTo(defaults.Model),
            PrototypeInitialization = switches.Initialization,
            RestartUnusedPrototypes = switches.Restart,
            StageSchedule = switches.Schedule,
            KeepOptimizerStateAcrossStages = switches.KeepOptimizer,
            ImageCache = o.ImageCache,
            MeasureGradientShares = o.MeasureGradientShares,
            Notice = o.Notice,
            InitialImageWeights = o.InitialImageWeights,
            InitialTextWeights = o.InitialTextWeights,
            AllowPartialInitialWeights = o.AllowPartialInitialWeights,
            EpochsPerStage = epochs,
            BatchSize = o.BatchSize ?? defaults.BatchSize,
            PeakLearningRates = o.PeakLearningRates ?? defaults.PeakLearningRates,
            StartLearningRates = defaults.StartLearningRates,
            WarmupEpochs = defaults.WarmupEpochs,
            Device = o.Device,
            Seed = seed,
            CheckpointDirectory = o.CheckpointDirectory,
            CheckpointEverySteps = o.CheckpointEverySteps,
            Resume = o.Resume,
            Progress = TrainingLog.ToChannel(_environment, step =>
            {
                o.Progress?.Invoke(step);
                // MLContext.CancelExecution(): stop at the next step, as ML.NET's own trainers do.
                if (Persistence.MLNetInternals.IsCanceled(_environment))
                    cancellation.Cancel();
            }),
        };
        var modelOptions = trainerOptions.ModelFittingInitialWeights();
        ReportTokenizer tokenizer;
        if (o.InitialTextWeights is { } bert)
        {
            var folder = new Interop.HuggingFaceBertFolder(bert);
            tokenizer = new ReportTokenizer(folder.VocabularyPath, modelOptions.MaxTokens, folder.LowerCase);
        }
        else if (o.VocabularyPath is { } vocabulary)
        {
            tokenizer = new ReportTokenizer(vocabulary, modelOptions.MaxTokens);
        }
        else
        {
            var path = Path.Combine(Path.GetTempPath(), $"prior-vocab-{Guid.NewGuid():N}.txt");
            try
            {
                WordPieceVocabularyBuilder.Write(WordPieceVocabularyBuilder.Build(studies.SelectMany(s => s.Sentences)), path);
                tokenizer = new ReportTokenizer(path, modelOptions.MaxTokens);
            }
            finally
            {
                File.Delete(path);
            }
        }
        var trainer = new PriorTrainer(trainerOptions);
        var result = trainer.Train(studies, tokenizer, cancellation.Token);
        var network = new PriorNetwork(
            result.Model,
            tokenizer,
            usePrototypes: PriorNetwork.ReportsThroughBank(epochs, result.Model.Options)
        );
        if (o.SentenceMemorySize > 0)
        {
            // Remember the training sentences and reports, so that the network can draft reports (retrieval needs
            // stage 1 only; the prototype method needs stage 3's decoder).
            using (Training.TorchGcGuard.Enter())
                network.SentenceMemory = Generation.SentenceMemory.Build(
                    network,
                    input,
                    o.FindingsColumnName,
                    o.ImpressionColumnName,
                    o.SentencesColumnName,
                    o.SentenceMemorySize,
                    o.SentenceMemorySize,
                    prototypeDecoderTrained: epochs[2] > 0
                );
            o.Notice?.Invoke(
                $"sentence memory: {network.SentenceMemory.Sentences.Count} distinct training sentences and "
                    + $"{network.SentenceMemory.Reports.Count} reports, for drafting reports"
            );
        }
        return new PriorPretrainTransformer(network, Mappers(network), result) { LoadSummary = summary, OwnsNetwork = true };
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        foreach (
            var (name, expected) in new[]
            {
                (_options.ImagePathsColumnName, "a text vector of image paths"),
                (_options.SentencesColumnName, "a text vector of sentences"),
            }
        )
        {
            if (!inputSchema.Any(c => c.Name == name && c.Kind != SchemaShape.Column.VectorKind.Scalar && c.ItemType is TextDataViewType))
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column '{name}' must be {expected}.");
        }
        // The embedding width is the preset's; no network is built to learn it.
        var embedding = new VectorDataViewType(
            NumberDataViewType.Single,
            PriorTrainerOptions.ForPreset(_options.Preset).Model.EmbeddingDim
        );
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(_options.ImageEmbeddingColumnName, embedding);
        builder.AddColumn(_options.ReportEmbeddingColumnName, embedding);
        var outputs = PriorSchemaShapes.ShapeOf(builder.ToSchema());
        return new SchemaShape(inputSchema.Where(c => outputs.All(o => o.Name != c.Name)).Concat(outputs));
    }

    private IReadOnlyList<BatchedColumnMapper> Mappers(PriorNetwork network) => PriorPretrainTransformer.DefaultMappers(network, _options);

    private static void CheckColumn(DataViewSchema schema, string name, string expected)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(
                nameof(schema),
                $"Column '{name}' not found; expected {expected}. The data has: {string.Join(", ", schema.Select(c => c.Name))}."
            );
        if (column.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{name}' is {column.Type}; expected {expected}.");
    }
}
