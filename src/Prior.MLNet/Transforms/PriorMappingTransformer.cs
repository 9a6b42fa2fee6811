using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Transforms;

/// <summary>
/// Base of the network-backed transformers: lazy (nothing runs until a cursor reads an output column), batched inside
/// the cursor, usable by <c>PredictionEngine</c> (row-to-row), on the network's device.
/// </summary>
public abstract class PriorMappingTransformer : ITransformer, IDisposable
{
    private protected PriorMappingTransformer(PriorNetwork network) =>
        Network = network ?? throw new ArgumentNullException(nameof(network));

    /// <summary>
    /// True when the transformer holds its own reference to the network (loaded from a model zip, or made by
    /// PriorPretrain's Fit) and releases it when disposed; a network passed to a catalog method stays the caller's.
    /// </summary>
    internal bool OwnsNetwork { get; init; }

    private int _disposed;

    /// <summary>Releases the network's native memory when this transformer owns it (see <see cref="OwnsNetwork"/>).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && OwnsNetwork)
            Network.Dispose();
    }

    /// <summary>The network this transformer runs.</summary>
    public PriorNetwork Network { get; }

    internal abstract IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <summary>True when a mapper whose input column is absent is left out rather than failing (PriorPretrain's image + report
    /// pair).</summary>
    private protected virtual bool SkipsAbsentInputs => false;

    // The mappers that apply to an input: all of them, or for SkipsAbsentInputs those whose input column is present
    // (all of them when none is, so that the error names what is missing).
    private IReadOnlyList<BatchedColumnMapper> MappersFor(DataViewSchema input)
    {
        if (!SkipsAbsentInputs)
            return Mappers;
        var present = Mappers.Where(m => input.GetColumnOrNull(m.InputColumnName) is not null).ToList();
        return present.Count > 0 ? present : Mappers;
    }

    // A copy of an owning transformer owns a reference of its own; a copy of a borrowing one borrows too.
    private protected PriorNetwork NetworkForCopy() => OwnsNetwork ? Network.AddReference() : Network;

    /// <summary>
    /// The same transformer with another <see cref="UnreadableImageHandling"/> (e.g. to skip unreadable images with a
    /// model loaded from a zip); transformers without an image input return themselves.
    /// </summary>
    public virtual PriorMappingTransformer WithUnreadableImages(
        UnreadableImageHandling handling,
        string errorColumnName = Defaults.ImageErrorColumnName
    ) => this;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        foreach (var mapper in MappersFor(inputSchema))
        {
            mapper.CheckInput(inputSchema);
            inputSchema = mapper.OutputSchema(inputSchema);
        }
        return inputSchema;
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        foreach (var mapper in MappersFor(input.Schema))
            input = new BatchedMappingDataView(input, mapper);
        return input;
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var mappers = MappersFor(inputSchema);
        if (mappers.Count == 1)
            return new BatchedRowMapper(inputSchema, mappers[0]);
        return new ChainedRowMapper(inputSchema, mappers);
    }

    /// <summary>Writes the transformer, with its network's weights, into an ML.NET model (<c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Persistence.PriorModelPersistence.Save(ctx, this);

    private sealed class ChainedRowMapper : IRowToRowMapper
    {
        private readonly List<BatchedRowMapper> _mappers = new();

        public ChainedRowMapper(DataViewSchema inputSchema, IReadOnlyList<BatchedColumnMapper> mappers)
        {
            InputSchema = inputSchema;
            var schema = inputSchema;
            foreach (var mapper in mappers)
            {
                var rowMapper = new BatchedRowMapper(schema, mapper);
                _mappers.Add(rowMapper);
                schema = rowMapper.OutputSchema;
            }
            OutputSchema = schema;
        }

        public DataViewSchema InputSchema { get; }

        public DataViewSchema OutputSchema { get; }

        public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        {
            var columns = dependingColumns;
            for (int i = _mappers.Count - 1; i >= 0; i--)
                columns = _mappers[i].GetDependencies(columns).ToList();
            return columns;
        }

        public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            foreach (var mapper in _mappers)
                input = mapper.GetRow(input, mapper.OutputSchema);
            return input;
        }
    }
}

/// <summary>Adds the normalised global image embedding (and optionally the local patch embeddings) of an image column.</summary>
public sealed class PriorImageEmbeddingTransformer : PriorMappingTransformer
{
    internal PriorImageEmbeddingTransformer(PriorNetwork network, ImageEmbeddingMapper mapper)
        : base(network) => Mappers = [mapper];

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <inheritdoc />
    public override PriorMappingTransformer WithUnreadableImages(
        UnreadableImageHandling handling,
        string errorColumnName = Defaults.ImageErrorColumnName
    ) =>
        new PriorImageEmbeddingTransformer(NetworkForCopy(), ((ImageEmbeddingMapper)Mappers[0]).WithHandling(handling, errorColumnName))
        {
            OwnsNetwork = OwnsNetwork,
        };
}

/// <summary>Adds the normalised report embedding of a report-text or sentence-vector column.</summary>
public sealed class PriorReportEmbeddingTransformer : PriorMappingTransformer
{
    internal PriorReportEmbeddingTransformer(PriorNetwork network, ReportEmbeddingMapper mapper)
        : base(network) => Mappers = [mapper];

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }
}

/// <summary>Adds PRIOR's zero-shot <c>Score</c> vector and a key-typed <c>PredictedLabel</c> that ML.NET's evaluators accept.</summary>
public sealed class PriorZeroShotTransformer : PriorMappingTransformer
{
    internal PriorZeroShotTransformer(PriorNetwork network, ZeroShotMapper mapper, IReadOnlyList<string> classes)
        : base(network)
    {
        Mappers = [mapper];
        Classes = classes;
    }

    /// <summary>The class names, in score and key order (key 1 is the first class).</summary>
    public IReadOnlyList<string> Classes { get; }

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <inheritdoc />
    public override PriorMappingTransformer WithUnreadableImages(
        UnreadableImageHandling handling,
        string errorColumnName = Defaults.ImageErrorColumnName
    ) =>
        new PriorZeroShotTransformer(NetworkForCopy(), ((ZeroShotMapper)Mappers[0]).WithHandling(handling, errorColumnName), Classes)
        {
            OwnsNetwork = OwnsNetwork,
        };
}

/// <summary>
/// What <c>PriorPretrain</c>'s Fit returns, and what <c>prior pretrain</c> and <see cref="PriorNetwork.Save"/> write: the
/// trained network, adding the image embedding when the data has the image column and the report embedding when it
/// has the sentences column (either or both).
/// </summary>
public sealed class PriorPretrainTransformer : PriorMappingTransformer
{
    /// <summary>
    /// A transformer over <paramref name="network"/> with the column names (and inference batch size and unreadable-image
    /// handling) of <paramref name="options"/>, or the defaults: ImagePath → ImageEmbedding, Sentences → ReportEmbedding.
    /// </summary>
    public static PriorPretrainTransformer Create(PriorNetwork network, PriorPretrainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var o = options ?? new PriorPretrainOptions();
        return new PriorPretrainTransformer(network, DefaultMappers(network, o), null);
    }

    internal static IReadOnlyList<BatchedColumnMapper> DefaultMappers(PriorNetwork network, PriorPretrainOptions o) =>
        [
            new ImageEmbeddingMapper(
                network,
                o.ImagePathColumnName,
                o.ImageEmbeddingColumnName,
                null,
                o.InferenceBatchSize,
                network.Inference.ImageMean,
                network.Inference.ImageStd,
                o.UnreadableImages,
                o.ImageErrorColumnName
            ),
            new ReportEmbeddingMapper(network, o.SentencesColumnName, o.ReportEmbeddingColumnName, o.InferenceBatchSize),
        ];

    private protected override bool SkipsAbsentInputs => true;

    internal PriorPretrainTransformer(
        PriorNetwork network,
        IReadOnlyList<BatchedColumnMapper> mappers,
        Training.PriorTrainingResult? result
    )
        : base(network)
    {
        Mappers = mappers;
        TrainingResult = result;
    }

    /// <summary>The training history and skipped samples; null for a transformer loaded from a saved model.</summary>
    internal Training.PriorTrainingResult? TrainingResult { get; }

    /// <summary>A record per optimiser step (the most recent ones when the run was long); empty for a loaded transformer.</summary>
    public IReadOnlyList<Training.TrainingProgress> History => TrainingResult?.History ?? [];

    /// <summary>How many prototypes the sentences used, per epoch of stages 2 and 3; empty for a loaded transformer.</summary>
    public IReadOnlyList<Training.PrototypeUsage> PrototypeUsage => TrainingResult?.PrototypeUsage ?? [];

    /// <summary>What the trainer chose to tell (skipped samples, resumed checkpoints, imported weights); empty for a loaded
    /// transformer.</summary>
    public IReadOnlyList<string> Notices => TrainingResult?.Notices ?? [];

    /// <summary>
    /// One account per imported tower (<see cref="PriorPretrainOptions.InitialImageWeights"/>,
    /// <see cref="PriorPretrainOptions.InitialTextWeights"/>): what loaded, what stayed random and why; empty when
    /// training started from random weights or for a loaded transformer.
    /// </summary>
    public IReadOnlyList<string> InitialWeightReports => TrainingResult?.InitialWeights.Select(r => r.Describe()).ToList() ?? [];

    /// <summary>The training rows PriorPretrain left out (no image, no sentence), counted by reason; null for a loaded
    /// transformer.</summary>
    public Data.DataLoadSummary? LoadSummary { get; init; }

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <inheritdoc />
    public override PriorMappingTransformer WithUnreadableImages(
        UnreadableImageHandling handling,
        string errorColumnName = Defaults.ImageErrorColumnName
    ) =>
        new PriorPretrainTransformer(
            NetworkForCopy(),
            [((ImageEmbeddingMapper)Mappers[0]).WithHandling(handling, errorColumnName), Mappers[1]],
            TrainingResult
        )
        {
            OwnsNetwork = OwnsNetwork,
            LoadSummary = LoadSummary,
        };
}

/// <summary>
/// Adds a report drafted from each image from the network's sentence memory, by a <see cref="Generation.ReportDraftMethod"/>.
/// </summary>
public sealed class PriorReportDraftTransformer : PriorMappingTransformer
{
    internal PriorReportDraftTransformer(PriorNetwork network, ReportDraftMapper mapper)
        : base(network) => Mappers = [mapper];

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <inheritdoc />
    public override PriorMappingTransformer WithUnreadableImages(
        UnreadableImageHandling handling,
        string errorColumnName = Defaults.ImageErrorColumnName
    ) =>
        new PriorReportDraftTransformer(NetworkForCopy(), ((ReportDraftMapper)Mappers[0]).WithHandling(handling, errorColumnName))
        {
            OwnsNetwork = OwnsNetwork,
        };
}
