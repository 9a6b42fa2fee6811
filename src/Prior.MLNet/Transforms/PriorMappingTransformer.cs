using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Transforms;

/// <summary>
/// Base of the network-backed transformers: lazy (nothing runs until a cursor reads an output column), batched inside
/// the cursor, usable by <c>PredictionEngine</c> (row-to-row), on the network's device.
/// </summary>
public abstract class PriorMappingTransformer : ITransformer
{
    private protected PriorMappingTransformer(PriorNetwork network) => Network = network ?? throw new ArgumentNullException(nameof(network));

    /// <summary>The network this transformer runs.</summary>
    public PriorNetwork Network { get; }

    internal abstract IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <summary>
    /// The same transformer with another <see cref="UnreadableImageHandling"/> (e.g. to skip unreadable images with a
    /// model loaded from a zip); transformers without an image input return themselves.
    /// </summary>
    public virtual PriorMappingTransformer WithUnreadableImages(UnreadableImageHandling handling, string errorColumnName = PriorCatalog.DefaultImageErrorColumnName) => this;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        foreach (var mapper in Mappers)
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
        foreach (var mapper in Mappers)
            input = new BatchedMappingDataView(input, mapper);
        return input;
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (Mappers.Count == 1)
            return new BatchedRowMapper(inputSchema, Mappers[0]);
        return new ChainedRowMapper(inputSchema, Mappers);
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
    internal PriorImageEmbeddingTransformer(PriorNetwork network, ImageEmbeddingMapper mapper) : base(network) => Mappers = [mapper];

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <inheritdoc />
    public override PriorMappingTransformer WithUnreadableImages(UnreadableImageHandling handling, string errorColumnName = PriorCatalog.DefaultImageErrorColumnName) =>
        new PriorImageEmbeddingTransformer(Network, ((ImageEmbeddingMapper)Mappers[0]).WithHandling(handling, errorColumnName));
}

/// <summary>Adds the normalised report embedding of a report-text or sentence-vector column.</summary>
public sealed class PriorReportEmbeddingTransformer : PriorMappingTransformer
{
    internal PriorReportEmbeddingTransformer(PriorNetwork network, ReportEmbeddingMapper mapper) : base(network) => Mappers = [mapper];

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }
}

/// <summary>Adds PRIOR's zero-shot <c>Score</c> vector and a key-typed <c>PredictedLabel</c> that ML.NET's evaluators accept.</summary>
public sealed class PriorZeroShotTransformer : PriorMappingTransformer
{
    internal PriorZeroShotTransformer(PriorNetwork network, ZeroShotMapper mapper, IReadOnlyList<string> classes) : base(network)
    {
        Mappers = [mapper];
        Classes = classes;
    }

    /// <summary>The class names, in score and key order (key 1 is the first class).</summary>
    public IReadOnlyList<string> Classes { get; }

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <inheritdoc />
    public override PriorMappingTransformer WithUnreadableImages(UnreadableImageHandling handling, string errorColumnName = PriorCatalog.DefaultImageErrorColumnName) =>
        new PriorZeroShotTransformer(Network, ((ZeroShotMapper)Mappers[0]).WithHandling(handling, errorColumnName), Classes);
}

/// <summary>What <c>PriorPretrain</c>'s Fit returns: the trained network, adding image and report embeddings of the training layout.</summary>
public sealed class PriorPretrainTransformer : PriorMappingTransformer
{
    internal PriorPretrainTransformer(PriorNetwork network, IReadOnlyList<BatchedColumnMapper> mappers, Training.PriorTrainingResult? result) : base(network)
    {
        Mappers = mappers;
        TrainingResult = result;
    }

    /// <summary>The training history and skipped samples; null for a transformer loaded from a saved model.</summary>
    public Training.PriorTrainingResult? TrainingResult { get; }

    internal override IReadOnlyList<BatchedColumnMapper> Mappers { get; }

    /// <inheritdoc />
    public override PriorMappingTransformer WithUnreadableImages(UnreadableImageHandling handling, string errorColumnName = PriorCatalog.DefaultImageErrorColumnName) =>
        new PriorPretrainTransformer(Network, [((ImageEmbeddingMapper)Mappers[0]).WithHandling(handling, errorColumnName), Mappers[1]], TrainingResult);
}
