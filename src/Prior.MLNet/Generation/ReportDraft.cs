namespace Prior.MLNet.Generation;

/// <summary>A report drafted from an image.</summary>
/// <param name="Findings">FINDINGS sentences, in the order training reports put them.</param>
/// <param name="Impression">IMPRESSION sentences.</param>
public sealed record ReportDraft(IReadOnlyList<string> Findings, IReadOnlyList<string> Impression)
{
    /// <summary>The draft as report text: "FINDINGS: …" and "IMPRESSION: …" paragraphs (a section with no sentence is left out).</summary>
    public string Text
    {
        get
        {
            var parts = new List<string>();
            if (Findings.Count > 0)
                parts.Add("FINDINGS: " + string.Join(" ", Findings));
            if (Impression.Count > 0)
                parts.Add("IMPRESSION: " + string.Join(" ", Impression));
            return string.Join("\n\n", parts);
        }
    }

    /// <summary>Every sentence, findings then impression.</summary>
    public IReadOnlyList<string> Sentences => [.. Findings, .. Impression];
}
