using System.Text;

namespace Prior.MLNet.Interop;

/// <summary>
/// What a weight import did, key by key: every tensor loaded, every one of ours the file lacked (it keeps its
/// random initialisation), every one of the file's that has no place in ours, every shape that disagreed, every
/// tensor deliberately left out (with the reason) and every conversion and renaming applied. Nothing is silent.
/// </summary>
internal sealed class WeightImportReport
{
    private readonly List<string> _loaded = [];
    private readonly List<string> _missing = [];
    private readonly List<string> _unexpected = [];
    private readonly List<string> _shapeMismatches = [];
    private readonly List<string> _ignored = [];
    private readonly List<string> _conversions = [];

    /// <summary>The file the weights came from.</summary>
    public string Source { get; }

    /// <summary>Creates an empty report for <paramref name="source"/>.</summary>
    public WeightImportReport(string source) => Source = source;

    /// <summary>Our keys that received a tensor.</summary>
    public IReadOnlyList<string> Loaded => _loaded;

    /// <summary>Our keys the file lacked: they keep their random initialisation.</summary>
    public IReadOnlyList<string> Missing => _missing;

    /// <summary>The file's keys that have no place in our model.</summary>
    public IReadOnlyList<string> Unexpected => _unexpected;

    /// <summary>Keys present on both sides with different shapes ("name: file [..] vs ours [..]").</summary>
    public IReadOnlyList<string> ShapeMismatches => _shapeMismatches;

    /// <summary>The file's keys deliberately not loaded, each with the reason ("name: reason").</summary>
    public IReadOnlyList<string> Ignored => _ignored;

    /// <summary>Renamings and conversions applied (prefixes removed, old names, conv1 folded to one channel).</summary>
    public IReadOnlyList<string> Conversions => _conversions;

    /// <summary>True when every one of our keys was loaded and nothing in the file went unexplained.</summary>
    public bool IsComplete => _missing.Count == 0 && _unexpected.Count == 0 && _shapeMismatches.Count == 0;

    internal void AddLoaded(string key) => _loaded.Add(key);

    internal void AddMissing(string key) => _missing.Add(key);

    internal void AddUnexpected(string key) => _unexpected.Add(key);

    internal void AddShapeMismatch(string key, long[] file, long[] ours) =>
        _shapeMismatches.Add($"{key}: file [{string.Join(", ", file)}] vs ours [{string.Join(", ", ours)}]");

    internal void AddIgnored(string key, string reason) => _ignored.Add($"{key}: {reason}");

    internal void AddConversion(string what) => _conversions.Add(what);

    /// <summary>A readable account: counts, then every missing, unexpected, mismatched and ignored key.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append($"{Source}: {_loaded.Count} tensors loaded, {_missing.Count} missing, {_unexpected.Count} unexpected, ")
            .Append($"{_shapeMismatches.Count} of another shape, {_ignored.Count} ignored");
        Section(text, "conversions", _conversions);
        Section(text, "missing (keep their random initialisation)", _missing);
        Section(text, "unexpected (not in the model)", _unexpected);
        Section(text, "shape mismatch", _shapeMismatches);
        Section(text, "ignored", _ignored);
        return text.ToString();
    }

    private static void Section(StringBuilder text, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
            return;
        text.Append($"\n  {title}:");
        foreach (var item in items)
            text.Append("\n    ").Append(item);
    }

    /// <inheritdoc />
    public override string ToString() => Describe();
}
