namespace Prior.MLNet.Data;

/// <summary>One named skip: what, where, and why.</summary>
/// <param name="Reason">The reason.</param>
/// <param name="Path">The file that holds the problem (a CSV table, a report, an image).</param>
/// <param name="Row">The 1-based line of the CSV row, when the problem is a row; otherwise null.</param>
/// <param name="Detail">A sentence saying what is wrong.</param>
public sealed record SkippedItem(SkipReason Reason, string Path, long? Row, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => Row is { } row ? $"{Reason}: {Path}, row {row}: {Detail}" : $"{Reason}: {Path}: {Detail}";
}
