using System.Text;
using System.Text.RegularExpressions;

namespace Prior.MLNet.Data.Reports;

/// <summary>
/// Splits radiology report text into sentences, offline and deterministically. It survives what general
/// splitters trip on in radiology: numbered impressions (<c>1. ... 2. ...</c>, on separate lines or inline),
/// titles and Latin abbreviations (<c>Dr.</c>, <c>e.g.</c>, <c>i.e.</c>, <c>vs.</c>, <c>approx.</c>), decimals
/// (<c>2.5 cm</c>), sentences wrapped over several lines, and de-identification blanks (<c>___</c>).
/// List markers are removed from the sentences they number.
/// </summary>
internal static partial class SentenceSplitter
{
    // Tokens that end in a period without ending a sentence (compared lower-case, without the final period).
    private static readonly HashSet<string> Abbreviations = new(StringComparer.Ordinal)
    {
        "dr",
        "drs",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "vs",
        "v",
        "etc",
        "approx",
        "e.g",
        "i.e",
        "eg",
        "ie",
        "cf",
        "fig",
        "figs",
        "no",
        "nos",
        "incl",
        "resp",
        "ca",
        "al",
        "et al",
        "a.m",
        "p.m",
        "m.d",
        "jr",
        "sr",
    };

    [GeneratedRegex(@"\n[ \t]*\n", RegexOptions.CultureInvariant)]
    private static partial Regex ParagraphBreak();

    [GeneratedRegex(@"^\s*\(?(\d{1,2})[.)]\s+", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingListMarker();

    /// <summary>Splits <paramref name="text"/> into trimmed, single-spaced sentences, in order.</summary>
    public static IReadOnlyList<string> Split(string? text)
    {
        var sentences = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
            return sentences;
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        foreach (var paragraph in ParagraphBreak().Split(normalized))
        {
            foreach (var item in ListItems(paragraph))
                SplitSegment(ReportSections.Flatten(item), sentences);
        }
        return sentences;
    }

    // A line that starts with a list marker opens a new item, even when the previous line did not end a sentence.
    private static IEnumerable<string> ListItems(string paragraph)
    {
        var current = new StringBuilder();
        foreach (var line in paragraph.Split('\n'))
        {
            if (LeadingListMarker().IsMatch(line) && current.Length > 0)
            {
                yield return current.ToString();
                current.Clear();
            }
            current.Append(line).Append('\n');
        }
        if (current.Length > 0)
            yield return current.ToString();
    }

    private static void SplitSegment(string segment, List<string> sentences)
    {
        int start = 0;
        for (int i = 0; i < segment.Length; i++)
        {
            char c = segment[i];
            if (c != '.' && c != '?' && c != '!')
                continue;
            bool atEnd = i + 1 >= segment.Length;
            if (!atEnd && !char.IsWhiteSpace(segment[i + 1]))
                continue; // 2.5, e.g (inside), ___.___
            if (c == '.' && !atEnd)
            {
                var token = TokenBefore(segment, i);
                if (
                    IsListMarker(segment, start, token)
                    || Abbreviations.Contains(token.ToLowerInvariant())
                    || (token.Length == 1 && char.IsUpper(token[0]))
                )
                    continue;
                char next = NextNonSpace(segment, i + 1);
                if (char.IsLower(next))
                    continue; // "approx. three", "cm. in" — the sentence goes on
            }
            Add(segment[start..(i + 1)], sentences);
            start = i + 1;
        }
        if (start < segment.Length)
            Add(segment[start..], sentences);
    }

    private static string TokenBefore(string text, int period)
    {
        int s = period;
        while (s > 0 && !char.IsWhiteSpace(text[s - 1]))
            s--;
        return text[s..period].TrimStart('(', '"', '\'');
    }

    private static bool IsListMarker(string text, int sentenceStart, string token) =>
        token.Length is 1 or 2
        && token.All(char.IsAsciiDigit)
        && text[sentenceStart..].TrimStart().StartsWith(token + ".", StringComparison.Ordinal);

    private static char NextNonSpace(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            if (!char.IsWhiteSpace(text[i]))
                return text[i];
        }
        return '\0';
    }

    private static void Add(string candidate, List<string> sentences)
    {
        var sentence = LeadingListMarker().Replace(candidate, string.Empty, 1).Trim();
        if (sentence.Any(char.IsLetter))
            sentences.Add(sentence);
    }
}
