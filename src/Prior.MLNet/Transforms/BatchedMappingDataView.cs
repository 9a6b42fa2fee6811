using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Transforms;

/// <summary>
/// A lazy data view that adds a <see cref="BatchedColumnMapper"/>'s columns to its input. Nothing is computed until a
/// cursor asks for an output column; then a look-ahead cursor over the input reads <see cref="BatchedColumnMapper.BatchSize"/>
/// rows, the network runs once for them (while the next batch is prepared, when the mapper prepares ahead), and the
/// main cursor serves them row by row (input columns come from the
/// main cursor itself, so any input type passes through untouched).
/// </summary>
internal sealed class BatchedMappingDataView : IDataView
{
    private readonly IDataView _input;
    private readonly BatchedColumnMapper _mapper;

    public BatchedMappingDataView(IDataView input, BatchedColumnMapper mapper)
    {
        _input = input;
        _mapper = mapper;
        mapper.CheckInput(input.Schema);
        Schema = mapper.OutputSchema(input.Schema);
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => false;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        int inputCount = _input.Schema.Count;
        bool outputs = needed.Any(c => c.Index >= inputCount);
        var inputColumns = needed.Where(c => c.Index < inputCount).Select(c => _input.Schema[c.Index]).ToList();
        var main = _input.GetRowCursor(inputColumns);
        return new Cursor(this, main, outputs ? _input.GetRowCursor([_input.Schema[_mapper.InputColumnName]]) : null);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedMappingDataView _parent;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _lookahead;
        private readonly Func<object>? _read;
        private object[][]? _batch;
        private int _inBatch = -1;
        private long _position = -1;
        private bool _disposed;

        public Cursor(BatchedMappingDataView parent, DataViewRowCursor main, DataViewRowCursor? lookahead)
        {
            _parent = parent;
            _main = main;
            _lookahead = lookahead;
            if (lookahead is not null)
                _read = parent._mapper.InputReader(lookahead, lookahead.Schema[parent._mapper.InputColumnName]);
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= _parent._input.Schema.Count
                ? _lookahead is not null
                : _main.IsColumnActive(_parent._input.Schema[column.Index]);

        public override bool MoveNext()
        {
            if (!_main.MoveNext())
                return false;
            _position++;
            if (_lookahead is not null && (_batch is null || ++_inBatch >= _batch[0].Length))
            {
                var mapper = _parent._mapper;
                List<object> inputs;
                object? prepared;
                if (_next is { } next)
                {
                    _next = null;
                    inputs = next.Inputs;
                    prepared = next.Prepared.GetAwaiter().GetResult(); // a decoding failure surfaces here, at its batch
                }
                else
                {
                    inputs = ReadBatch();
                    prepared = mapper.PreparesAhead ? mapper.Prepare(inputs, _position) : null;
                }
                if (mapper.PreparesAhead)
                {
                    // The next batch decodes on a worker thread while this one is in the network.
                    var following = ReadBatch();
                    long followingFirst = _position + inputs.Count;
                    if (following.Count > 0)
                        _next = (following, Task.Run(() => mapper.Prepare(following, followingFirst)));
                }
                _batch = mapper.Compute(inputs, _position, prepared);
                _inBatch = 0;
            }
            return true;
        }

        private (List<object> Inputs, Task<object?> Prepared)? _next;

        private List<object> ReadBatch()
        {
            var inputs = new List<object>(_parent._mapper.BatchSize);
            while (inputs.Count < _parent._mapper.BatchSize && _lookahead!.MoveNext())
                inputs.Add(_read!());
            return inputs;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _parent._input.Schema.Count;
            if (column.Index < inputCount)
                return _main.GetGetter<TValue>(_parent._input.Schema[column.Index]);
            if (_lookahead is null)
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
            int output = column.Index - inputCount;
            return (ref TValue value) => value = (TValue)_batch![output][_inBatch];
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed)
                return;
            if (disposing)
            {
                // A batch prepared ahead and never used: let it finish, its failure unobserved on purpose.
                try
                {
                    _next?.Prepared.Wait();
                }
                catch (AggregateException) { }
                _main.Dispose();
                _lookahead?.Dispose();
            }
            _disposed = true;
            base.Dispose(disposing);
        }
    }
}
