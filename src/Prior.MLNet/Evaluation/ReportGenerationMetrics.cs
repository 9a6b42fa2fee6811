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
    /// Clinical efficacy, macro: the F1 of each label's positive class (1 counts as found) over the reports, averaged over
    /// the labels with at least one positive reference (a label no reference has is not computable and is left out;
    /// <c>Labels</c> says how many were averaged). NaN when no label has a positive reference.
    /// </summary>
    public static (double F1, int Labels) ClinicalEfficacyMacro(
        IReadOnlyList<float[]> candidateLabels,
        IReadOnlyList<float[]> referenceLabels
    )
    {
        ArgumentNullException.ThrowIfNull(candidateLabels);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        int width = Width(candidateLabels, referenceLabels);
        double sum = 0;
        int labels = 0;
        for (int k = 0; k < width; k++)
        {
            var (tp, fp, fn) = Counts(candidateLabels, referenceLabels, k);
            if (tp + fn == 0)
                continue;
            sum += 2.0 * tp / (2 * tp + fp + fn);
            labels++;
        }
        return (labels == 0 ? double.NaN : sum / labels, labels); // no report, or no positive reference: nothing to average
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
