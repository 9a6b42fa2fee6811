using System.Text.RegularExpressions;

namespace Prior.MLNet.Data.Reports;

/// <summary>
/// The sections of a MIMIC-CXR free-text report. Section headers are the MIMIC convention: a line that starts
/// with a space, then capitals, spaces or <c>()/,-</c>, then a colon and white space (the regular expression
/// <c>\n ([A-Z ()/,-]+):\s</c> of the MIMIC-CXR section tools and of PRIOR's build step).
/// </summary>
internal sealed partial class ReportSections
{
    [GeneratedRegex(@"\n ([A-Z ()/,-]+):\s", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderPattern();

    private readonly List<KeyValuePair<string, string>> _sections;

    private ReportSections(string preamble, List<KeyValuePair<string, string>> sections)
    {
        Preamble = preamble;
        _sections = sections;
    }

    /// <summary>The text before the first header (normally <c>FINAL REPORT</c>).</summary>
    public string Preamble { get; }

    /// <summary>Every section in order, as (upper-case header without colon, raw text).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Sections => _sections;

    /// <summary>The FINDINGS section (or FINDINGS AND IMPRESSION), raw, or null when absent or empty.</summary>
    public string? Findings => FirstNonEmpty("FINDINGS", "FINDINGS AND IMPRESSION");

    /// <summary>The IMPRESSION section, raw, or null when absent or empty.</summary>
    public string? Impression => FirstNonEmpty("IMPRESSION");

    /// <summary>Parses a report. Line endings may be LF or CRLF.</summary>
    public static ReportSections Parse(string report)
    {
        ArgumentNullException.ThrowIfNull(report);
        // A leading newline lets a header on the very first line match like any other.
        var text = "\n" + report.Replace("\r\n", "\n", StringComparison.Ordinal);
        var matches = HeaderPattern().Matches(text);
        var sections = new List<KeyValuePair<string, string>>(matches.Count);
        string preamble = matches.Count == 0 ? text.Trim() : text[..matches[0].Index].Trim();
        for (int i = 0; i < matches.Count; i++)
        {
            var match = matches[i];
            int start = match.Index + match.Length;
            int end = i + 1 < matches.Count ? matches[i + 1].Index : text.Length;
            sections.Add(new(match.Groups[1].Value.Trim(), text[start..end].Trim()));
        }
        return new ReportSections(preamble, sections);
    }

    /// <summary>The first non-empty section with one of the given headers, or null.</summary>
    public string? FirstNonEmpty(params string[] headers)
    {
        foreach (var header in headers)
        {
            foreach (var (name, body) in _sections)
            {
                if (string.Equals(name, header, StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(body))
                    return body;
            }
        }
        return null;
    }

    /// <summary>Collapses all white space (line wraps included) to single spaces.</summary>
    public static string Flatten(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
