using System.Diagnostics;
using System.Threading.Channels;

namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// Dynamic batching for one kind of request: callers enqueue single inputs into a bounded queue; one worker takes the
/// first waiting input, gathers whatever else arrives within <see cref="ServeOptions.BatchWindow"/> up to
/// <see cref="ServeOptions.MaxBatch"/>, and runs them through the network as one batch. A full queue refuses at once
/// (the caller answers 503) rather than letting latency grow without bound; a request whose client has gone is dropped
/// before its batch runs, so a disconnect leaves nothing running.
/// </summary>
internal sealed class InferenceBatcher<TIn, TOut> : IAsyncDisposable
{
    private sealed record Item(TIn Input, TaskCompletionSource<TOut> Result, CancellationToken Cancellation);

    private readonly Channel<Item> _queue;
    private readonly Func<IReadOnlyList<TIn>, IReadOnlyList<TOut>> _run;
    private readonly ServeOptions _options;
    private readonly ServeMetrics _metrics;
    private readonly string _name;
    private readonly Task _worker;

    /// <summary>Starts the worker; <paramref name="run"/> maps a batch of inputs to one output each, in order.</summary>
    public InferenceBatcher(string name, Func<IReadOnlyList<TIn>, IReadOnlyList<TOut>> run, ServeOptions options, ServeMetrics metrics)
    {
        _name = name;
        _run = run;
        _options = options;
        _metrics = metrics;
        _queue = Channel.CreateBounded<Item>(
            new BoundedChannelOptions(options.MaxQueue) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true }
        );
        _worker = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Inputs waiting for a batch.</summary>
    public int Depth => _queue.Reader.Count; // a bounded channel counts its items

    /// <summary>
    /// Whether the queue is full now: a request can be refused before its upload is read and decoded, which under overload
    /// keeps the cores for the batches (<see cref="TryRun"/> still decides, as the queue may fill in between).
    /// </summary>
    public bool IsFull => Depth >= _options.MaxQueue;

    /// <summary>
    /// Queues <paramref name="input"/> and waits for its output; null when the queue is full (nothing was queued). The
    /// task is cancelled when <paramref name="cancellation"/> fires before the input's batch runs.
    /// </summary>
    public Task<TOut>? TryRun(TIn input, CancellationToken cancellation)
    {
        var item = new Item(input, new TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously), cancellation);
        if (!_queue.Writer.TryWrite(item))
            return null;
        _metrics.QueueDepth(_name, Depth);
        return item.Result.Task.WaitAsync(cancellation);
    }

    private async Task Work()
    {
        var reader = _queue.Reader;
        var batch = new List<Item>(_options.MaxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var window = Stopwatch.StartNew();
            while (batch.Count < _options.MaxBatch)
            {
                if (reader.TryRead(out var item))
                {
                    if (item.Cancellation.IsCancellationRequested)
                        item.Result.TrySetCanceled(item.Cancellation); // its client has gone: never computed
                    else
                        batch.Add(item);
                    continue;
                }
                if (batch.Count == 0)
                {
                    // Everything read so far was cancelled: wait for the next input, and open the window from it.
                    if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                        return;
                    window.Restart();
                    continue;
                }
                var left = _options.BatchWindow - window.Elapsed;
                if (left <= TimeSpan.Zero)
                    break;
                using var wait = new CancellationTokenSource(left);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                        break;
                }
                catch (OperationCanceledException)
                {
                    break; // the window closed: run what has come
                }
            }
            _metrics.QueueDepth(_name, Depth);
            if (batch.Count == 0)
                continue;
            _metrics.Batch(_name, batch.Count);
            try
            {
                _options.BeforeEachBatch?.Invoke();
                var outputs = _run(batch.Select(b => b.Input).ToList());
                for (int i = 0; i < batch.Count; i++)
                    batch[i].Result.TrySetResult(outputs[i]);
            }
            catch (Exception ex)
            {
                foreach (var item in batch)
                    item.Result.TrySetException(ex);
            }
        }
    }

    /// <summary>Stops taking inputs and finishes the ones queued (drains in-flight requests on shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }
}
