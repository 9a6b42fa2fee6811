using System.Text.RegularExpressions;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Reports;

namespace Prior.MLNet.Text;

/// <summary>
/// A rule-based labeler of radiology reports by the CheXpert labeler's published rules (Irvin et al., 2019), written for
/// this library with its rules as data (<see cref="ChexpertRules"/>). Each sentence is cleaned as CheXpert cleans a
/// report (lower case, "and/or" and "a/b" read as "or", a space after every comma and period); each observation's
/// mention phrases are found in it as CheXpert finds them (substrings, so "the heart" is a Cardiomegaly mention and
/// "platelike" holds the device word "plate"), less those overlapping an unmention phrase ("pericardial effusion",
/// "calcified nodule", "over the heart"). Each mention is read in its clause by three ordered lists of cues: pre-negation
/// uncertainty ("cannot exclude", "no new"), negation ("no", "without", "normal", "has resolved", …), post-negation
/// uncertainty ("possible", "may", "concerning for", "X or Y", a stable cardiomediastinal silhouette). CheXpert matches
/// its cues on a dependency parse; these cues are placed by word order, and a negation's reach through a list is
/// decided by <see cref="NegationReaches"/>. A report's label per observation is 1 if any mention is positive, else −1
/// if any is uncertain, else 0, else blank (NaN); a positive or uncertain "chf" or "heart failure" also makes
/// Cardiomegaly uncertain. <c>No Finding</c> is 1 when no mention of any observation but Support Devices, and none of
/// CheXpert's "other findings" (emphysema, granuloma, scoliosis, degenerative changes, …), is positive or uncertain, and
/// blank otherwise. Deterministic and offline.
/// </summary>
internal sealed partial class ChexpertReportLabeler
{
    private readonly ChexpertRules _rules;

    /// <summary>A labeler by <paramref name="conventions"/> (CheXpert's own rules unless told otherwise).</summary>
    public ChexpertReportLabeler(ReportLabelConventions conventions = ReportLabelConventions.Chexpert)
    {
        _rules = ChexpertRules.For(conventions);
    }

    /// <summary>Whose rules this labeler follows.</summary>
    public ReportLabelConventions Conventions => _rules.Conventions;

    /// <summary>Labels one report: its text, with MIMIC sections when it has FINDINGS/IMPRESSION headers.</summary>
    public float[] Label(string report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var parsed = ParsedReport.Parse(report);
        return LabelSentences(parsed is not null ? parsed.Sentences.ToList() : SentenceSplitter.Split(report));
    }

    /// <summary>Labels a report given as sentences, in <see cref="ChexpertLabels.Names"/> order: 1, 0, −1 or NaN.</summary>
    public float[] LabelSentences(IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var labels = Enumerable.Repeat(float.NaN, ChexpertLabels.Count).ToArray();
        bool noFinding = true;
        foreach (var sentence in sentences)
        {
            var text = Clean(sentence);
            foreach (var (observation, start, end, heartFailure) in Mentions(text))
            {
                var (clauseStart, clauseEnd) = ClauseAround(text, start);
                var value = Classify(text[clauseStart..clauseEnd], start - clauseStart, Math.Min(end, clauseEnd) - clauseStart);
                bool found = value is ChexpertLabels.Positive or ChexpertLabels.Uncertain;
                if (found && observation != "Support Devices")
                    noFinding = false;
                if (observation == ChexpertRules.OtherFindings)
                    continue;
                Combine(labels, ChexpertLabels.IndexOf(observation), value);
                // CheXpert's own exception: heart failure stated or suspected leaves the heart's size in doubt.
                if (found && heartFailure)
                    Combine(labels, ChexpertLabels.IndexOf("Cardiomegaly"), ChexpertLabels.Uncertain);
            }
        }
        labels[ChexpertLabels.IndexOf("No Finding")] = noFinding ? ChexpertLabels.Positive : float.NaN;
        return labels;
    }

    /// <summary>
    /// A sentence as the CheXpert labeler cleans a report before matching: lower case, "and/or" and "a/b" as "or", a
    /// space after each comma and period, single spaces.
    /// </summary>
    internal static string Clean(string sentence)
    {
        var text = sentence.ToLowerInvariant().Replace("and/or", "or", StringComparison.Ordinal);
        text = SlashBetweenLetters().Replace(text, " or ");
        text = text.Replace("..", ".", StringComparison.Ordinal)
            .Replace(",", ", ", StringComparison.Ordinal)
            .Replace(".", ". ", StringComparison.Ordinal);
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return EmptySentence().Replace(text, ".");
    }

    // The mentions of a cleaned sentence: each phrase's matches less those overlapping one of its observation's unmention
    // phrases, widened to whole words (CheXpert's parser reads the words a phrase falls in), and the overlapping mentions
    // of one observation merged ("the heart" and "heart size" in "the heart size is normal" are one mention).
    private IEnumerable<(string Observation, int Start, int End, bool HeartFailure)> Mentions(string text)
    {
        var spans = new List<(string Observation, int Start, int End, bool HeartFailure)>();
        // Each observation's unmention matches, found once per sentence (not once per mention: Cardiomegaly alone has
        // nearly a hundred positional unmentions).
        var unmentioned = new Dictionary<string, List<(int Start, int End)>>(StringComparer.Ordinal);
        foreach (var (observation, phrase) in _rules.Mentions)
        {
            foreach (Match m in phrase.Matches(text))
            {
                if (m.Length == 0)
                    continue;
                if (!unmentioned.TryGetValue(observation, out var cancelled))
                    unmentioned[observation] = cancelled = Unmentions(text, observation);
                if (cancelled.Any(u => m.Index < u.End && m.Index + m.Length > u.Start))
                    continue;
                int start = m.Index,
                    end = m.Index + m.Length;
                while (start < end && text[start] == ' ')
                    start++;
                while (end > start && text[end - 1] == ' ')
                    end--;
                while (start > 0 && IsWordChar(text[start - 1]))
                    start--;
                while (end < text.Length && IsWordChar(text[end]))
                    end++;
                spans.Add((observation, start, end, m.Value is "chf" or "heart failure"));
            }
        }
        foreach (var group in spans.GroupBy(s => s.Observation))
        {
            var ordered = group.OrderBy(s => s.Start).ToList();
            var current = ordered[0];
            foreach (var next in ordered.Skip(1))
            {
                if (next.Start < current.End)
                    current = (
                        current.Observation,
                        current.Start,
                        Math.Max(current.End, next.End),
                        current.HeartFailure || next.HeartFailure
                    );
                else
                {
                    yield return current;
                    current = next;
                }
            }
            yield return current;
        }
    }

    // The spans of a sentence that one of an observation's unmention phrases covers.
    private List<(int Start, int End)> Unmentions(string text, string observation) =>
        _rules.UnmentionsByObservation.TryGetValue(observation, out var unmentions)
            ? unmentions.SelectMany(u => u.Matches(text)).Select(m => (m.Index, m.Index + m.Length)).ToList()
            : [];

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '-';

    // The clause of a sentence a mention is read in: cues do not reach across "but", "however", "though", a semicolon, or
    // ", and" that starts a new statement.
    private static (int Start, int End) ClauseAround(string text, int position)
    {
        int start = 0,
            end = text.Length;
        foreach (Match m in ClauseBreak().Matches(text))
        {
            if (m.Index + m.Length <= position)
                start = m.Index + m.Length;
            else if (m.Index >= position)
            {
                end = m.Index;
                break;
            }
        }
        return (start, end);
    }

    // A mention's value from its clause, the mention marked « », by the first list whose pattern matches, in CheXpert's
    // order: pre-negation uncertainty, negation, post-negation uncertainty; positive when none does.
    private float Classify(string clause, int start, int end)
    {
        var marked = $"{clause[..start]}«{clause[start..end]}»{clause[end..]}";
        if (_rules.PreNegationUncertainty.Any(p => p.IsMatch(marked)))
            return ChexpertLabels.Uncertain;
        if (_rules.Negation.Any(p => Negates(p, marked)))
            return ChexpertLabels.Negative;
        if (_rules.PostNegationUncertainty.Any(p => p.IsMatch(marked)))
            return ChexpertLabels.Uncertain;
        return ChexpertLabels.Positive;
    }

    // A negation pattern with a "gap" group is a cue before the mention: the nearest cue that reaches it negates it.
    private static bool Negates(Regex pattern, string marked)
    {
        var after = marked[(marked.IndexOf('»') + 1)..];
        for (var m = pattern.Match(marked); m.Success; m = pattern.Match(marked, m.Index + 1))
        {
            var gap = m.Groups["gap"];
            if (!gap.Success || NegationReaches(gap.Value, after))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Whether a negation cue reaches a mention across <paramref name="gap"/>, the words between them
    /// (<paramref name="after"/> is the clause after the mention). Not when the cue negates a change ("no change in the
    /// effusion", "no interval increase in the pneumothorax": the finding is there, as CheXpert's "no" negates only the
    /// word it modifies). Not past "after" or "following" ("no pneumothorax after the chest tube's removal": the tube is
    /// not negated). Through a list of negated findings: one that goes on
    /// with "or"/"nor" after the mention's comma, or whose item holds no word that describes a present finding
    /// ("no effusion, pneumothorax, focal consolidation"; "no acute, displaced fractures"). Not past a comma after
    /// which a finding is described by size, side, course or a verb ("no pneumothorax, small left effusion").
    /// </summary>
    internal static bool NegationReaches(string gap, string after)
    {
        if (ScopeEnd().IsMatch(gap) || Comparison().IsMatch(gap))
            return false;
        int comma = gap.LastIndexOf(',');
        if (comma < 0)
            return true;
        if (ListGoesOn().IsMatch(gap[(comma + 1)..]) || ListGoesOn().IsMatch(after))
            return true;
        return !Describes().IsMatch(gap[(comma + 1)..]);
    }

    // Positive wins over uncertain, uncertain over negative, negative over blank (CheXpert's aggregation).
    private static void Combine(float[] labels, int k, float value)
    {
        static int Rank(float v) =>
            v switch
            {
                1 => 3,
                -1 => 2,
                0 => 1,
                _ => 0,
            };
        if (Rank(value) > Rank(labels[k]))
            labels[k] = value;
    }

    [GeneratedRegex(@"(?<=[a-z])/(?=[a-z])", RegexOptions.CultureInvariant)]
    private static partial Regex SlashBetweenLetters();

    [GeneratedRegex(@"\.\s+\.", RegexOptions.CultureInvariant)]
    private static partial Regex EmptySentence();

    [GeneratedRegex(
        @";|,\s*but\b|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\bwhereas\b|,\s*and\s+(?=(there|the|no|a|an)\b)",
        RegexOptions.CultureInvariant
    )]
    private static partial Regex ClauseBreak();

    [GeneratedRegex(@"\b(following|after)\b", RegexOptions.CultureInvariant)]
    private static partial Regex ScopeEnd();

    [GeneratedRegex(@"^\s*([a-z-]+\s+){0,2}(change|increase|decrease|improvement|worsening|difference)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Comparison();

    [GeneratedRegex(@"\b(or|nor)\b", RegexOptions.CultureInvariant)]
    private static partial Regex ListGoesOn();

    [GeneratedRegex(
        @"\b(small|large|moderate|mild|minimal|trace|tiny|severe|marked|new|increas\w*|decreas\w*|persistent|stable|unchanged"
            + @"|left|right|bilateral|bibasilar|basilar|apical|is|are|was|were|there|with|has|have|again)\b",
        RegexOptions.CultureInvariant
    )]
    private static partial Regex Describes();
}
