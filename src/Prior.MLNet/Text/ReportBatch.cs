namespace Prior.MLNet.Text;

/// <summary>Tokenized reports laid out as the rows of one batch, the way the trainer feeds BERT.</summary>
internal static class ReportBatch
{
    /// <summary>
    /// The reports' ids, attention masks and sentence indices, each <c>reports.Count × Length</c> row-major. Length is
    /// the longest report's (CLS through SEP): every position past it is padding in every row, which the attention
    /// masks and sentence indices already exclude, so dropping it changes no result while BERT's cost falls with the
    /// length (radiology reports are far shorter than 256 tokens). <paramref name="padTo"/> keeps that many positions
    /// instead — the original PRIOR's way, padding every report to the tokenizer's maximum.
    /// </summary>
    public static (long[] InputIds, long[] AttentionMask, long[] SentenceIndex, int Length) Collate(
        IReadOnlyList<TokenizedReport> reports,
        int? padTo = null
    )
    {
        ArgumentNullException.ThrowIfNull(reports);
        int length = padTo ?? (reports.Count == 0 ? 1 : reports.Max(r => r.Length));
        if (reports.Any(r => r.Length > length || r.InputIds.Length < length))
            throw new ArgumentOutOfRangeException(
                nameof(padTo),
                padTo,
                "every report must fit in, and be padded to at least, the batch's length"
            );
        var ids = new long[reports.Count * length];
        var mask = new long[reports.Count * length];
        var index = new long[reports.Count * length];
        for (int r = 0; r < reports.Count; r++)
        {
            reports[r].InputIds.AsSpan(0, length).CopyTo(ids.AsSpan(r * length));
            reports[r].AttentionMask.AsSpan(0, length).CopyTo(mask.AsSpan(r * length));
            reports[r].SentenceIndex.AsSpan(0, length).CopyTo(index.AsSpan(r * length));
        }
        return (ids, mask, index, length);
    }
}
