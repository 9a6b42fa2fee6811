using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Transforms;

/// <summary>
/// The row-to-row form of a <see cref="BatchedColumnMapper"/> (what <c>PredictionEngine</c> uses): each row is
/// computed alone, on demand, when an output getter is first called for it.
/// </summary>
internal sealed class BatchedRowMapper : IRowToRowMapper
{
    private readonly BatchedColumnMapper _mapper;

    public BatchedRowMapper(DataViewSchema inputSchema, BatchedColumnMapper mapper)
    {
        mapper.CheckInput(inputSchema);
        InputSchema = inputSchema;
        OutputSchema = mapper.OutputSchema(inputSchema);
        _mapper = mapper;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var columns = dependingColumns.ToList();
        var inputs = columns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]).ToList();
        if (columns.Any(c => c.Index >= InputSchema.Count))
            inputs.Add(InputSchema[_mapper.InputColumnName]);
        return inputs.Distinct();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) => new Row(this, input);

    private sealed class Row(BatchedRowMapper parent, DataViewRow input) : DataViewRow
    {
        private readonly Func<object> _read = parent._mapper.InputReader(input, input.Schema[parent._mapper.InputColumnName]);
        private long _computedAt = -1;
        private object[][]? _values;

        public override DataViewSchema Schema => parent.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= parent.InputSchema.Count || input.IsColumnActive(parent.InputSchema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < parent.InputSchema.Count)
                return input.GetGetter<TValue>(parent.InputSchema[column.Index]);
            int output = column.Index - parent.InputSchema.Count;
            return (ref TValue value) =>
            {
                if (_computedAt != input.Position || _values is null)
                {
                    _values = parent._mapper.Compute([_read()], input.Position);
                    _computedAt = input.Position;
                }
                value = (TValue)_values[output][0];
            };
        }
    }
}
