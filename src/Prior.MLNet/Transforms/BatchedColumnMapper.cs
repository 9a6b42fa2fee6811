using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Transforms;

/// <summary>
/// What a network-backed transformer computes: from one input column, for a batch of rows at once, one or more
/// output columns. <see cref="BatchedMappingDataView"/> and <see cref="BatchedRowMapper"/> run it lazily.
/// </summary>
internal abstract class BatchedColumnMapper
{
    /// <summary>The input column this mapper reads.</summary>
    public abstract string InputColumnName { get; }

    /// <summary>The output columns: names, types and annotations.</summary>
    public abstract IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> OutputColumns { get; }

    /// <summary>Rows computed together.</summary>
    public abstract int BatchSize { get; }

    /// <summary>Checks the input schema, naming the column and what was expected when it is wrong.</summary>
    public abstract void CheckInput(DataViewSchema inputSchema);

    /// <summary>Makes a reader of the input column for a cursor positioned on a row.</summary>
    public abstract Func<object> InputReader(DataViewRow row, DataViewSchema.Column column);

    /// <summary>
    /// Computes every output column for a batch of input values: result[output][row]. <paramref name="firstRow"/> is
    /// the 0-based position of the batch's first row, for errors that name a row.
    /// </summary>
    public abstract object[][] Compute(IReadOnlyList<object> inputs, long firstRow);

    /// <summary>
    /// Whether <see cref="Prepare"/> does work worth running ahead: then <see cref="BatchedMappingDataView"/> prepares
    /// the next batch on a worker thread while the network computes the current one (decoding overlaps the forward pass).
    /// </summary>
    public virtual bool PreparesAhead => false;

    /// <summary>The CPU-side work of a batch (decoding), safe to run on another thread; null when there is none.</summary>
    public virtual object? Prepare(IReadOnlyList<object> inputs, long firstRow) => null;

    /// <summary>Computes a batch with what <see cref="Prepare"/> returned for it.</summary>
    public virtual object[][] Compute(IReadOnlyList<object> inputs, long firstRow, object? prepared) => Compute(inputs, firstRow);

    /// <summary>The output schema: the input's columns, then the outputs (hiding input columns of the same name).</summary>
    public DataViewSchema OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var (name, type, annotations) in OutputColumns)
            builder.AddColumn(name, type, annotations);
        return builder.ToSchema();
    }
}
