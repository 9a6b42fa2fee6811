using System.Text;

namespace Prior.MLNet.Data;

/// <summary>
/// What a loader accepted and what it left out, by reason, with the place of each defect (file and row).
/// Nothing is dropped silently: every left-out row or study is counted here. Thread-safe.
/// </summary>
public sealed class DataLoadSummary
{
    /// <summary>At most this many items are kept by name; all are counted.</summary>
    public const int MaxNamedItems = 10_000;

    private readonly object _gate = new();
    private readonly Dictionary<SkipReason, int> _counts = new();
    private readonly List<SkippedItem> _items = new();
    private int _accepted;

    /// <summary>Rows (studies or images) that made it into the data view.</summary>
    public int Accepted
    {
        get
        {
            lock (_gate)
                return _accepted;
        }
    }

    /// <summary>Counts per reason (reasons with no skip are absent).</summary>
    public IReadOnlyDictionary<SkipReason, int> Skipped
    {
        get
        {
            lock (_gate)
                return new Dictionary<SkipReason, int>(_counts);
        }
    }

    /// <summary>The named skips, in the order they were found (filters are counted, not named).</summary>
    public IReadOnlyList<SkippedItem> Items
    {
        get
        {
            lock (_gate)
                return _items.ToList();
        }
    }

    /// <summary>The count for one reason.</summary>
    public int Count(SkipReason reason)
    {
        lock (_gate)
            return _counts.GetValueOrDefault(reason);
    }

    internal void Accept(int n = 1)
    {
        lock (_gate)
            _accepted += n;
    }

    internal void Skip(SkipReason reason, string path, long? row, string detail)
    {
        lock (_gate)
        {
            _counts[reason] = _counts.GetValueOrDefault(reason) + 1;
            if (reason is not (SkipReason.ViewFiltered or SkipReason.SplitFiltered) && _items.Count < MaxNamedItems)
                _items.Add(new SkippedItem(reason, path, row, detail));
        }
    }

    /// <summary>A few lines for people: accepted, each reason's count, and the first named items.</summary>
    public string Describe(int maxItems = 10)
    {
        var sb = new StringBuilder();
        lock (_gate)
        {
            sb.Append("accepted ").Append(_accepted);
            foreach (var (reason, count) in _counts.OrderBy(c => c.Key))
                sb.Append(", ").Append(reason).Append(' ').Append(count);
            foreach (var item in _items.Take(maxItems))
                sb.Append('\n').Append("  ").Append(item);
            if (_items.Count > maxItems)
                sb.Append('\n').Append("  … and ").Append(_items.Count - maxItems).Append(" more");
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Describe(0);
}
