using System.Text.RegularExpressions;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// The metrics report-generation papers use: corpus BLEU-n (Papineni et al., 2002: clipped n-gram precisions of the
/// whole corpus, their geometric mean, a brevity penalty), ROUGE-L (Lin, 2004: longest common subsequence, F-measure
/// with β = 1.2 as the COCO caption toolkit computes it, averaged over reports) and clinical efficacy (micro-averaged
/// precision, recall and F1 of the 14 CheXpert labels of the drafts against those of the references, a label counting
/// as found when it is 1). Texts are lower-cased and split into words of letters and digits.
/// </summary>
internal static partial class ReportGenerationMetrics
{
    [GeneratedRegex(@"[a-z0-9]+")]
    private static partial Regex Word();

    /// <summary>The words metrics compare: lower-cased runs of letters and digits.</summary>
    public static IReadOnlyList<string> Tokenize(string text) =>
        Word().Matches((text ?? string.Empty).ToLowerInvariant()).Select(m => m.Value).ToList();

    /// <summary>Corpus BLEU-<paramref name="maxOrder"/> of candidates against one reference each (0 when an order has no match).</summary>
    public static double Bleu(IReadOnlyList<string> candidates, IReadOnlyList<string> references, int maxOrder = 4)
    {
        CheckPairs(candidates, references);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        var matches = new long[maxOrder];
        var totals = new long[maxOrder];
        long candidateLength = 0,
            referenceLength = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            var c = Tokenize(candidates[i]);
            var r = Tokenize(references[i]);
            candidateLength += c.Count;
            referenceLength += r.Count;
            for (int n = 1; n <= maxOrder; n++)
            {
                var reference = NGrams(r, n);
                foreach (var (gram, count) in NGrams(c, n))
                {
                    totals[n - 1] += count;
                    matches[n - 1] += Math.Min(count, reference.GetValueOrDefault(gram));
                }
            }
        }
        if (candidateLength == 0)
            return 0;
        double logPrecision = 0;
        for (int n = 0; n < maxOrder; n++)
        {
            if (matches[n] == 0)
                return 0;
            logPrecision += Math.Log(matches[n] / (double)totals[n]) / maxOrder;
        }
        double brevity = candidateLength < referenceLength ? Math.Exp(1 - referenceLength / (double)candidateLength) : 1;
        return brevity * Math.Exp(logPrecision);
    }

    /// <summary>Mean ROUGE-L F-measure (β = 1.2) of each candidate against its reference.</summary>
    public static double RougeL(IReadOnlyList<string> candidates, IReadOnlyList<string> references, double beta = 1.2)
    {
        CheckPairs(candidates, references);
        if (candidates.Count == 0)
            return 0;
        double sum = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            var c = Tokenize(candidates[i]);
            var r = Tokenize(references[i]);
            int lcs = LongestCommonSubsequence(c, r);
            if (lcs == 0)
                continue;
            double precision = lcs / (double)c.Count,
                recall = lcs / (double)r.Count;
            sum += (1 + beta * beta) * precision * recall / (recall + beta * beta * precision);
        }
        return sum / candidates.Count;
    }

    /// <summary>Clinical efficacy: micro precision, recall and F1 over every (report, label) where a label of 1 counts as found.</summary>
    public static (double Precision, double Recall, double F1) ClinicalEfficacy(
        IReadOnlyList<float[]> candidateLabels,
        IReadOnlyList<float[]> referenceLabels
    )
    {
        ArgumentNullException.ThrowIfNull(candidateLabels);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        int width = Width(candidateLabels, referenceLabels);
        long tp = 0,
            fp = 0,
            fn = 0;
        for (int k = 0; k < width; k++)
        {
            var (t, f, n) = Counts(candidateLabels, referenceLabels, k);
            (tp, fp, fn) = (tp + t, fp + f, fn + n);
        }
        double p = tp + fp == 0 ? 0 : tp / (double)(tp + fp);
        double r = tp + fn == 0 ? 0 : tp / (double)(tp + fn);
        return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r));
    }

    /// <summary>
    /// Clinical efficacy, macro, as scikit-learn's <c>f1_score(average="macro", zero_division=0)</c> computes it: the F1
    /// of each label's positive class (1 counts as found) over the reports, averaged over every label; a label with no
    /// true positive, false positive or false negative (no reference and no candidate has it) scores 0, so a method is
    /// not spared the labels it never asserts. <c>LabelsWithPositiveReference</c> says how many labels some reference has.
    /// NaN when there is no report.
    /// </summary>
    public static (double F1, int LabelsWithPositiveReference) ClinicalEfficacyMacro(
        IReadOnlyList<float[]> candidateLabels,
        IReadOnlyList<float[]> referenceLabels
    )
    {
        ArgumentNullException.ThrowIfNull(candidateLabels);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        int width = Width(candidateLabels, referenceLabels);
        if (referenceLabels.Count == 0 || width == 0)
            return (double.NaN, 0);
        double sum = 0;
        int withReference = 0;
        for (int k = 0; k < width; k++)
        {
            var (tp, fp, fn) = Counts(candidateLabels, referenceLabels, k);
            sum += 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
            if (tp + fn > 0)
                withReference++;
        }
        return (sum / width, withReference);
    }

    /// <summary>
    /// Clinical efficacy, example-based (per report, then averaged, as the R2Gen follow-up papers report it): for each
    /// report 2·|candidate ∩ reference| / (|candidate| + |reference|) over its positive labels, 0 when neither has one
    /// (scikit-learn's <c>f1_score(average="samples", zero_division=0)</c>), averaged over the reports. NaN when there is
    /// no report.
    /// </summary>
    public static double ClinicalEfficacyExampleBased(IReadOnlyList<float[]> candidateLabels, IReadOnlyList<float[]> referenceLabels)
    {
        ArgumentNullException.ThrowIfNull(candidateLabels);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        int width = Width(candidateLabels, referenceLabels);
        if (referenceLabels.Count == 0)
            return double.NaN;
        double sum = 0;
        for (int i = 0; i < referenceLabels.Count; i++)
        {
            int both = 0,
                candidates = 0,
                references = 0;
            for (int k = 0; k < width; k++)
            {
                bool predicted = candidateLabels[i][k] == 1f,
                    actual = referenceLabels[i][k] == 1f;
                both += predicted && actual ? 1 : 0;
                candidates += predicted ? 1 : 0;
                references += actual ? 1 : 0;
            }
            sum += candidates + references == 0 ? 0 : 2.0 * both / (candidates + references);
        }
        return sum / referenceLabels.Count;
    }

    // How many labels every report has, the same in both lists (0 for no report); anything else is refused.
    private static int Width(IReadOnlyList<float[]> candidateLabels, IReadOnlyList<float[]> referenceLabels)
    {
        if (candidateLabels.Count != referenceLabels.Count)
            throw new ArgumentException($"{candidateLabels.Count} candidate label sets but {referenceLabels.Count} reference ones.");
        int width = referenceLabels.Count == 0 ? 0 : referenceLabels[0].Length;
        for (int i = 0; i < candidateLabels.Count; i++)
        {
            if (candidateLabels[i].Length != width || referenceLabels[i].Length != width)
                throw new ArgumentException(
                    $"Report {i}: {candidateLabels[i].Length} candidate labels and {referenceLabels[i].Length} reference ones; "
                        + $"every report needs {width}."
                );
        }
        return width;
    }

    // True positives, false positives and false negatives of label k over the reports, where 1 counts as found.
    private static (long Tp, long Fp, long Fn) Counts(IReadOnlyList<float[]> candidateLabels, IReadOnlyList<float[]> referenceLabels, int k)
    {
        long tp = 0,
            fp = 0,
            fn = 0;
        for (int i = 0; i < candidateLabels.Count; i++)
        {
            bool predicted = candidateLabels[i][k] == 1f,
                actual = referenceLabels[i][k] == 1f;
            if (predicted && actual)
                tp++;
            else if (predicted)
                fp++;
            else if (actual)
                fn++;
        }
        return (tp, fp, fn);
    }

    /// <summary>The length of the longest common subsequence of two word sequences.</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }

    private static Dictionary<string, int> NGrams(IReadOnlyList<string> words, int n)
    {
        var grams = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= words.Count; i++)
        {
            var gram = string.Join(' ', words.Skip(i).Take(n));
            grams[gram] = grams.GetValueOrDefault(gram) + 1;
        }
        return grams;
    }

    private static void CheckPairs(IReadOnlyList<string> candidates, IReadOnlyList<string> references)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(references);
        if (candidates.Count != references.Count)
            throw new ArgumentException($"{candidates.Count} candidates but {references.Count} references.");
    }
}
