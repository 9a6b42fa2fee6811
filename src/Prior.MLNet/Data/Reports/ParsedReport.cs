namespace Prior.MLNet.Data.Reports;

/// <summary>The parts of a radiology report that PRIOR uses: FINDINGS, IMPRESSION and their sentences.</summary>
/// <param name="Findings">FINDINGS, single-spaced, or empty.</param>
/// <param name="Impression">IMPRESSION, single-spaced, or empty.</param>
/// <param name="FindingsSentences">Sentences of FINDINGS.</param>
/// <param name="ImpressionSentences">Sentences of IMPRESSION.</param>
internal sealed record ParsedReport(
    string Findings,
    string Impression,
    IReadOnlyList<string> FindingsSentences,
    IReadOnlyList<string> ImpressionSentences
)
{
    /// <summary>Sentences of IMPRESSION then FINDINGS, the order PRIOR joins them in before shuffling.</summary>
    public IEnumerable<string> Sentences => ImpressionSentences.Concat(FindingsSentences);

    /// <summary>Number of sentences in both sections.</summary>
    public int SentenceCount => FindingsSentences.Count + ImpressionSentences.Count;

    /// <summary>Parses a MIMIC-CXR report's text; null when it has neither FINDINGS nor IMPRESSION.</summary>
    public static ParsedReport? Parse(string text)
    {
        var sections = ReportSections.Parse(text);
        var findings = sections.Findings;
        var impression = sections.Impression;
        if (findings is null && impression is null)
            return null;
        return new ParsedReport(
            findings is null ? string.Empty : ReportSections.Flatten(findings),
            impression is null ? string.Empty : ReportSections.Flatten(impression),
            SentenceSplitter.Split(findings),
            SentenceSplitter.Split(impression)
        );
    }
}
