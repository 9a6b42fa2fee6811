using Prior.MLNet.Data;

namespace Prior.MLNet.Evaluation;

/// <summary>How well predicted CheXpert labels agree with known ones: F1 of the positive class (value 1) per label.</summary>
internal static class LabelAgreement
{
    /// <summary>
    /// F1 per label in <see cref="ChexpertLabels.Names"/> order, for labels with at least <paramref name="minPositives"/>
    /// known positives (fewer make F1 a coin toss); 2·TP / (2·TP + FP + FN).
    /// </summary>
    public static IReadOnlyDictionary<string, double> F1PerLabel(
        IReadOnlyList<float[]> truth,
        IReadOnlyList<float[]> predicted,
        int minPositives = 5
    )
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (truth.Count != predicted.Count)
            throw new ArgumentException($"{truth.Count} known label sets but {predicted.Count} predicted ones.");
        var f1 = new Dictionary<string, double>();
        foreach (var label in ChexpertLabels.Names)
        {
            int k = ChexpertLabels.IndexOf(label),
                tp = 0,
                fp = 0,
                fn = 0;
            for (int i = 0; i < truth.Count; i++)
            {
                bool actual = truth[i][k] == 1f,
                    found = predicted[i][k] == 1f;
                tp += actual && found ? 1 : 0;
                fp += !actual && found ? 1 : 0;
                fn += actual && !found ? 1 : 0;
            }
            if (tp + fn >= minPositives)
                f1[label] = 2.0 * tp / (2 * tp + fp + fn);
        }
        return f1;
    }
}
