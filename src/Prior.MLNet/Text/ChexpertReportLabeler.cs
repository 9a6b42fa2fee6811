using System.Text.RegularExpressions;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Reports;

namespace Prior.MLNet.Text;

/// <summary>
/// A rule-based labeler of radiology reports in the manner of the CheXpert labeler (Irvin et al., 2019), written for
/// this library: each of the 14 observations is found by its mention phrases (with the CheXpert labeler's exclusions:
/// a pericardial effusion is not pleural, Kerley or pleural lines are not devices), and each mention is classified by
/// cues in its clause in the labeler's order — uncertainty stated after it, pre-negation uncertainty ("cannot exclude",
/// "rule out"), negation ("no", "without", "free of", "resolved", …; "no change in" is a comparison, not a negation;
/// a negation's scope ends at a comma unless a list of negated findings goes on), then uncertainty ("may",
/// "possible", "suggest", "concerning for", …). A report's label per observation is 1 if any
/// mention is positive, else −1 if any is uncertain, else 0 if any is negated, else blank (NaN). <c>No Finding</c> is 1
/// when no observation other than Support Devices is 1 or −1, and blank otherwise. Deterministic and offline.
/// </summary>
internal sealed partial class ChexpertReportLabeler
{
    private readonly record struct Mention(int Label, int Start, int End);

    private static readonly RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled;

    // Mention phrases per observation, in ChexpertLabels.Names order (No Finding, index 0, is derived).
    private static readonly (string Label, Regex Pattern)[] Mentions =
    [
        (
            "Enlarged Cardiomediastinum",
            new(
                @"\b(enlarged (cardio)?mediastinum|(cardio)?mediastinal (widening|enlargement)|widen(ed"
                    + @"|ing) (of the )?(superior )?mediastinum|mediastinum is widened)\b",
                Options
            )
        ),
        (
            "Cardiomegaly",
            new(
                @"\b(cardiomegaly|(heart|cardiac silhouette)( size)? (is |appears |may be |remains )?(\w+ly |borderline )?enlarged"
                    + @"|enlarge(d|ment of the) (heart|cardiac silhouette))\b",
                Options
            )
        ),
        ("Lung Opacity", new(@"\b(opacit(y|ies)|opacification|infiltrates?|haziness|airspace disease)\b", Options)),
        ("Lung Lesion", new(@"\b(nodul(e|es|ar)|mass(es)?|lesions?)\b", Options)),
        ("Edema", new(@"\b(edema|(vascular|pulmonary) congestion|heart failure|chf)\b", Options)),
        ("Consolidation", new(@"\b(consolidation|consolidative)\b", Options)),
        ("Pneumonia", new(@"\b(pneumonia|infectious process|infection)\b", Options)),
        ("Atelectasis", new(@"\b(atelecta(sis|tic)|collapsed?)\b", Options)),
        ("Pneumothorax", new(@"\b((hydro)?pneumothora(x|ces))\b", Options)),
        // A pericardial or joint effusion is not a pleural one.
        (
            "Pleural Effusion",
            new(
                @"\b(pleural effusions?|(?<!\b(pericardial|joint|subpulmonic pericardial) )effusions?|pleural fluid|hydropneumothora(x|ces)"
                    + @"|blunting of the (\w+ )?costophrenic)\b",
                Options
            )
        ),
        ("Pleural Other", new(@"\b(pleural (thickening|scarring|plaques?)|fibrothorax)\b", Options)),
        ("Fracture", new(@"\b(fractures?)\b", Options)),
        (
            "Support Devices",
            // Kerley (septal) lines are edema's, a pleural line is pneumothorax's edge, a fissure line is anatomy: not devices.
            new(
                @"\b(tubes?|(?<!\b(kerley( [ab])?|septal|pleural|fissural|reticular|linear) )lines?|catheters?|pacemaker|pacer"
                    + @"|wires?|clips?"
                    + @"|stents?|valves?|ports?|picc|drains?|devices?|icd)\b",
                Options
            )
        ),
    ];

    // Statements of normality that negate an observation without naming it.
    private static readonly (string Label, Regex Pattern)[] Normal =
    [
        (
            "Cardiomegaly",
            new(
                @"\b(heart size|size of the heart|cardiac silhouette|heart)\b[^.;]{0,40}\b(normal|unremarkable|within normal limits"
                    + @"|not enlarged)\b|\bnormal (heart size|cardiac silhouette)\b",
                Options
            )
        ),
        (
            "Enlarged Cardiomediastinum",
            new(
                @"\b(cardiomediastinal|mediastinal)( and hilar)? (silhouettes?|contours?)\b[^.;]{0,30}\b(normal|unremarkable"
                    + @"|within normal limits|stable)\b",
                Options
            )
        ),
    ];

    private static readonly Regex NegationBefore = new(
        @"\b(no|not|without|absence of|negative for|free of|clear of|rather than|resolution of|resolved|removal of|never|ruled out"
            + @"|exclude[sd]?)\b",
        Options
    );

    private static readonly Regex NegationAfter = new(
        @"^[^.;]{0,40}?\b(is|are|has|have)?\s*(been )?(resolved|removed|absent|not (seen|identified|present|visualized)"
            + @"|cleared|removal|no longer (seen|present|visualized))\b",
        Options
    );

    // Uncertainty that reads as negation to the negation rule ("cannot exclude pneumonia" holds "exclude"): checked first,
    // as the CheXpert labeler's pre-negation uncertainty rules are.
    private static readonly Regex PreNegationUncertain = new(
        @"\b(cannot|can ?not|could not|does not|doesn't|can't|not) (exclude|rule out)\b|\brule out\b|\br/o\b",
        Options
    );

    // "No change in", "no interval increase of": a comparison, not a negation of what follows.
    private static readonly Regex PseudoNegation = new(
        @"\bno (\w+ ){0,2}?(change|increase|decrease|improvement|worsening|difference)\b",
        Options
    );

    // Words after which a negation cue no longer reaches: the events that follow are another statement.
    private static readonly Regex ScopeEnd = new(@"\b(following|after)\b", Options);

    // A list of negated findings ("no pneumothorax, effusion, or consolidation") keeps its negation past the commas.
    private static readonly Regex NegatedList = new(@"\b(or|nor)\b", Options);

    private static readonly Regex UncertainBefore = new(
        @"\b(may|might|could|possible|possibly|probable|probably|likely|questionable|suspicious for|suspected|concerning for"
            + @"|worrisome for|possibility of"
            + @"|suggest(s|ive of|ing)?|borderline|equivocal|versus|vs\.?|differential|consider(ed)?|cannot exclude|can not exclude"
            + @"|not exclude|represent(s|ing)?|reflect(s|ing)?)\b",
        Options
    );

    private static readonly Regex UncertainAfter = new(
        @"^[^.;]{0,40}?\b(cannot|can not|could not|not) be (entirely |completely )?(excluded|ruled out)|^[^.;]{0,30}?\b(is|are) "
            + @"(possible|suspected|not excluded|questionable|questioned|less likely|a consideration)\b|^[^.;]{0,12}?\b(versus|vs\.?)\s",
        Options
    );

    private static readonly Regex ClauseBreak = new(@";|,\s*but\b|\bbut\b|\bhowever\b|\balthough\b|\bwhereas\b", Options);

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
        foreach (var sentence in sentences)
        {
            foreach (var clause in ClauseBreak.Split(sentence))
            {
                foreach (var (label, pattern) in Mentions)
                {
                    foreach (Match m in pattern.Matches(clause))
                        Combine(labels, ChexpertLabels.IndexOf(label), Classify(clause, m.Index, m.Index + m.Length));
                }
                foreach (var (label, pattern) in Normal)
                {
                    if (pattern.IsMatch(clause))
                        Combine(labels, ChexpertLabels.IndexOf(label), ChexpertLabels.Negative);
                }
            }
        }
        int noFinding = ChexpertLabels.IndexOf("No Finding"),
            devices = ChexpertLabels.IndexOf("Support Devices");
        bool anyFinding = Enumerable.Range(0, ChexpertLabels.Count).Any(k => k != noFinding && k != devices && labels[k] is 1 or -1);
        labels[noFinding] = anyFinding ? float.NaN : ChexpertLabels.Positive;
        return labels;
    }

    // A mention's value from the cues of its clause: stated uncertainty after it, then negation before it, then
    // uncertainty before it (or inside the mention, "heart may be enlarged"), then negation after it.
    private static float Classify(string clause, int start, int end)
    {
        var before = clause[..start];
        var inside = clause[start..end];
        var after = clause[end..];
        if (UncertainAfter.IsMatch(after))
            return ChexpertLabels.Uncertain;
        if (PreNegationUncertain.IsMatch(before))
            return ChexpertLabels.Uncertain;
        if (NegatedBefore(clause, PseudoNegation.Replace(before, m => new string(' ', m.Length))))
            return ChexpertLabels.Negative;
        if (UncertainBefore.IsMatch(before) || UncertainBefore.IsMatch(inside))
            return ChexpertLabels.Uncertain;
        if (NegationAfter.IsMatch(after))
            return ChexpertLabels.Negative;
        return ChexpertLabels.Positive;
    }

    // Whether the nearest negation cue before a mention reaches it. Its scope ends at a comma after which the finding is
    // described ("no pneumothorax, small left effusion": the effusion is there), but not in a list of negated findings
    // (bare items, "no consolidation, effusion, pneumothorax", or a list that goes on with "or"/"nor").
    private static bool NegatedBefore(string clause, string before)
    {
        var cues = NegationBefore.Matches(before);
        if (cues.Count == 0)
            return false;
        var cue = cues[^1];
        int cueEnd = cue.Index + cue.Length;
        // "Pneumothorax has resolved following chest tube placement": what follows "after"/"following" is not negated.
        if (ScopeEnd.IsMatch(before[cueEnd..]))
            return false;
        int comma = before.LastIndexOf(',');
        if (comma < cueEnd)
            return true;
        bool described = before[(comma + 1)..].Trim().Length > 0;
        // The list must go on after the comma: "no edema or effusion, moderate cardiomegaly" negates only the first two.
        return !described || NegatedList.IsMatch(clause[(comma + 1)..]);
    }

    // Positive wins over uncertain, uncertain over negative, negative over blank.
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
}
