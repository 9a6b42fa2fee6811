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
    private readonly IChannelProvider _environment;
    private readonly PriorPretrainOptions _options;

    internal PriorPretrainEstimator(IChannelProvider environment, PriorPretrainOptions options)
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
        CheckColumn(input.Schema, o.ImagePathsColumnName, "a text vector of image paths");
        CheckColumn(input.Schema, o.SentencesColumnName, "a text vector of sentences");
        var summary = new DataLoadSummary();
        var studies = TrainingStudies.FromDataView(input, o.ImagePathsColumnName, o.SentencesColumnName, summary);
        var defaults = PriorTrainerOptions.ForPreset(o.Preset);
        var trainerOptions = new PriorTrainerOptions
        {
            Model = defaults.Model,
            InitialImageWeights = o.InitialImageWeights,
            InitialTextWeights = o.InitialTextWeights,
            AllowPartialInitialWeights = o.AllowPartialInitialWeights,
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
        var epochs = o.EpochsPerStage ?? defaults.EpochsPerStage;
        var trainer = new PriorTrainer(new PriorTrainerOptions
        {
            Model = defaults.Model,
            InitialImageWeights = o.InitialImageWeights,
            InitialTextWeights = o.InitialTextWeights,
            AllowPartialInitialWeights = o.AllowPartialInitialWeights,
            EpochsPerStage = epochs,
            BatchSize = o.BatchSize ?? defaults.BatchSize,
            PeakLearningRates = defaults.PeakLearningRates,
            StartLearningRates = defaults.StartLearningRates,
            WarmupEpochs = defaults.WarmupEpochs,
            Device = o.Device,
            Seed = o.Seed,
            CheckpointDirectory = o.CheckpointDirectory,
            Resume = o.Resume,
            Progress = TrainingLog.ToChannel(_environment, o.Progress),
        });
        var result = trainer.Train(studies, tokenizer);
        var network = new PriorNetwork(result.Model, tokenizer, usePrototypes: epochs[1] + epochs[2] > 0);
        return new PriorPretrainTransformer(network, Mappers(network), result);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        foreach (var (name, expected) in new[] { (_options.ImagePathsColumnName, "a text vector of image paths"), (_options.SentencesColumnName, "a text vector of sentences") })
        {
            if (!inputSchema.Any(c => c.Name == name && c.Kind != SchemaShape.Column.VectorKind.Scalar && c.ItemType is TextDataViewType))
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Column '{name}' must be {expected}.");
        }
        // The embedding width is the preset's; no network is built to learn it.
        var embedding = new VectorDataViewType(NumberDataViewType.Single, PriorTrainerOptions.ForPreset(_options.Preset).Model.EmbeddingDim);
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
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{name}' not found; expected {expected}. The data has: {string.Join(", ", schema.Select(c => c.Name))}.");
        if (column.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentOutOfRangeException(nameof(schema), $"Column '{name}' is {column.Type}; expected {expected}.");
    }
}
