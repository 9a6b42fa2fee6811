using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// The server's counters in Prometheus' text exposition format (<c>GET /metrics</c>): requests by endpoint and status,
/// a latency histogram per endpoint, batch sizes, queue depth and rejected (503) requests.
/// </summary>
internal sealed class ServeMetrics
{
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128];
    private readonly ConcurrentDictionary<(string Endpoint, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new();
    private readonly ConcurrentDictionary<string, Histogram> _batches = new();
    private readonly ConcurrentDictionary<string, long> _depth = new();
    private long _rejected;
    private long _decoding;
    private long _decodingPeak;

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private double _sum;
        private long _count;

        public void Observe(double value)
        {
            int i = Array.FindIndex(bounds, b => value <= b);
            lock (this)
            {
                _counts[i < 0 ? bounds.Length : i]++;
                _sum += value;
                _count++;
            }
        }

        public void Write(StringBuilder text, string name, string labels)
        {
            lock (this)
            {
                long cumulative = 0;
                for (int i = 0; i < bounds.Length; i++)
                {
                    cumulative += _counts[i];
                    text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{bounds[i]}\"}} {cumulative}\n");
                }
                text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"+Inf\"}} {_count}\n");
                text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {_sum}\n");
                text.Append(CultureInfo.InvariantCulture, $"{name}_count{{{labels}}} {_count}\n");
            }
        }
    }

    /// <summary>Counts a finished request.</summary>
    public void Request(string endpoint, int status, double seconds)
    {
        _requests.AddOrUpdate((endpoint, status), 1, (_, n) => n + 1);
        _latency.GetOrAdd(endpoint, _ => new Histogram(LatencyBuckets)).Observe(seconds);
        if (status == 503)
            Interlocked.Increment(ref _rejected);
    }

    /// <summary>Counts a batch run through the network.</summary>
    public void Batch(string kind, int size) => _batches.GetOrAdd(kind, _ => new Histogram(BatchBuckets)).Observe(size);

    /// <summary>Records a queue's depth.</summary>
    public void QueueDepth(string kind, int depth) => _depth[kind] = depth;

    /// <summary>An upload's decode has begun (on the decode pool).</summary>
    public void DecodeStarted()
    {
        long now = Interlocked.Increment(ref _decoding);
        for (long peak = Interlocked.Read(ref _decodingPeak); now > peak; peak = Interlocked.Read(ref _decodingPeak))
            if (Interlocked.CompareExchange(ref _decodingPeak, now, peak) == peak)
                break;
    }

    /// <summary>An upload's decode has ended.</summary>
    public void DecodeFinished() => Interlocked.Decrement(ref _decoding);

    /// <summary>The most decodes seen running at once (never more than the pool's size).</summary>
    public long DecodingPeak => Interlocked.Read(ref _decodingPeak);

    /// <summary>Requests refused with 503 so far.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Every metric, as Prometheus reads it.</summary>
    public string Text()
    {
        var text = new StringBuilder();
        text.Append("# HELP prior_requests_total Requests answered, by endpoint and HTTP status.\n# TYPE prior_requests_total counter\n");
        foreach (var ((endpoint, status), count) in _requests.OrderBy(kv => kv.Key))
            text.Append(CultureInfo.InvariantCulture, $"prior_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}\n");
        text.Append("# HELP prior_request_seconds Request latency, by endpoint.\n# TYPE prior_request_seconds histogram\n");
        foreach (var (endpoint, histogram) in _latency.OrderBy(kv => kv.Key))
            histogram.Write(text, "prior_request_seconds", $"endpoint=\"{endpoint}\"");
        text.Append("# HELP prior_batch_size Inputs per network batch, by kind.\n# TYPE prior_batch_size histogram\n");
        foreach (var (kind, histogram) in _batches.OrderBy(kv => kv.Key))
            histogram.Write(text, "prior_batch_size", $"kind=\"{kind}\"");
        text.Append("# HELP prior_queue_depth Inputs waiting for a batch, by kind.\n# TYPE prior_queue_depth gauge\n");
        foreach (var (kind, depth) in _depth.OrderBy(kv => kv.Key))
            text.Append(CultureInfo.InvariantCulture, $"prior_queue_depth{{kind=\"{kind}\"}} {depth}\n");
        text.Append(
            "# HELP prior_rejected_total Requests refused with 503 because a queue was full.\n# TYPE prior_rejected_total counter\n"
        );
        text.Append(CultureInfo.InvariantCulture, $"prior_rejected_total {Rejected}\n");
        text.Append("# HELP prior_decoding Uploads being decoded now.\n# TYPE prior_decoding gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"prior_decoding {Interlocked.Read(ref _decoding)}\n");
        text.Append("# HELP prior_decoding_peak The most uploads decoded at once so far.\n# TYPE prior_decoding_peak gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"prior_decoding_peak {DecodingPeak}\n");
        // The process's memory, so that a dashboard (and prior-bench's overload) sees whether the server stays flat, and
        // whether growth is in the managed heap or in native memory (libtorch's tensors and allocator).
        text.Append(
            "# HELP process_resident_memory_bytes Resident memory of the server process.\n# TYPE process_resident_memory_bytes gauge\n"
        );
        text.Append(CultureInfo.InvariantCulture, $"process_resident_memory_bytes {Environment.WorkingSet}\n");
        text.Append(
            "# HELP dotnet_gc_heap_bytes Bytes in the managed heap after the last collection.\n# TYPE dotnet_gc_heap_bytes gauge\n"
        );
        var gc = GC.GetGCMemoryInfo();
        text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_heap_bytes {gc.HeapSizeBytes}\n");
        text.Append(
            "# HELP dotnet_gc_committed_bytes Memory the garbage collector holds committed (live, dead and free).\n"
                + "# TYPE dotnet_gc_committed_bytes gauge\n"
        );
        text.Append(CultureInfo.InvariantCulture, $"dotnet_gc_committed_bytes {gc.TotalCommittedBytes}\n");
        return text.ToString();
    }
}
