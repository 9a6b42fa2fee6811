namespace Prior.MLNet.Evaluation;

/// <summary>Metrics ML.NET's multiclass evaluator does not give, computed from a confusion matrix (rows: truth, columns:
/// prediction).</summary>
internal static class ClassificationMetrics
{
    /// <summary>Unweighted mean over classes of F1 = 2·P·R/(P+R) (0 for a class never predicted nor present).</summary>
    public static double MacroF1(IReadOnlyList<IReadOnlyList<double>> confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        int k = confusion.Count;
        double sum = 0;
        for (int c = 0; c < k; c++)
        {
            double tp = confusion[c][c];
            double predicted = Enumerable.Range(0, k).Sum(r => confusion[r][c]);
            double actual = confusion[c].Sum();
            sum += predicted + actual == 0 ? 0 : 2 * tp / (predicted + actual);
        }
        return sum / k;
    }

    /// <summary>Cohen's κ = (p_o − p_e) / (1 − p_e): agreement beyond chance between truth and prediction.</summary>
    public static double CohensKappa(IReadOnlyList<IReadOnlyList<double>> confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        int k = confusion.Count;
        double total = confusion.Sum(r => r.Sum());
        if (total == 0)
            return 0;
        double observed = Enumerable.Range(0, k).Sum(c => confusion[c][c]) / total;
        double expected =
            Enumerable.Range(0, k).Sum(c => confusion[c].Sum() * Enumerable.Range(0, k).Sum(r => confusion[r][c])) / (total * total);
        return expected == 1 ? 1 : (observed - expected) / (1 - expected);
    }
}
