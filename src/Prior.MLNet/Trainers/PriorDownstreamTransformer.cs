using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Downstream;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// What the downstream trainers' Fit returns: a fine-tuned classifier, segmenter or detector over an image column.
/// Lazy and batched like the other PRIOR transformers, usable by <c>PredictionEngine</c>, and saved with its network in
/// ML.NET model zips (<c>mlContext.Model.Save</c>; a fresh process loads it with <c>mlContext.Model.Load</c>).
/// </summary>
public sealed class PriorDownstreamTransformer : ITransformer, IDisposable
{
    private int _disposed;

    internal PriorDownstreamTransformer(DownstreamMapper mapper) => Mapper = mapper;

    internal DownstreamMapper Mapper { get; }

    /// <summary>The fine-tuned network (task, architecture, labels or score threshold).</summary>
    internal DownstreamModel Model => Mapper.Model;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        Mapper.CheckInput(inputSchema);
        return Mapper.OutputSchema(inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedMappingDataView(input, Mapper);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new BatchedRowMapper(inputSchema, Mapper);
    }

    /// <summary>Writes the transformer and its network into an ML.NET model (<c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Transforms.Persistence.PriorDownstreamPersistence.Save(ctx, this);

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            Model.Dispose();
    }
}
