using Prior.MLNet.Data;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// A linear probe's figures for one fraction of the training labels: the area under the ROC curve per label on the
/// test images, and why each label without one has none; what <see cref="PriorEvaluationCatalog.EvaluateLinearProbe"/>
/// returns per fraction.
/// </summary>
public sealed class PriorLinearProbeMetrics
{
    internal PriorLinearProbeMetrics(
        double fraction,
        IReadOnlyDictionary<string, double> auc,
        IReadOnlyDictionary<string, string> notScored
    )
    {
        Fraction = fraction;
        Auc = auc;
        NotScored = notScored;
    }

    /// <summary>The share of the training images whose labels trained the probes (0.01, 0.1, 1 in the paper).</summary>
    public double Fraction { get; }

    /// <summary>Label → area under the ROC curve on the test images, for the labels that could be scored.</summary>
    public IReadOnlyDictionary<string, double> Auc { get; }

    /// <summary>Label → why it could not be scored (e.g. "no positive in the test images"): AUC needs both classes on each side.</summary>
    public IReadOnlyDictionary<string, string> NotScored { get; }

    /// <summary>Mean AUC over the scored labels; NaN when none could be scored.</summary>
    public double MeanAuc => Auc.Count == 0 ? double.NaN : Auc.Values.Average();

    /// <summary>
    /// Mean AUC over CheXpert's five competition labels (<see cref="ChexpertLabels.CompetitionFive"/>), the figure the
    /// papers report; NaN unless all five were scored.
    /// </summary>
    public double MeanAucCompetition =>
        ChexpertLabels.CompetitionFive.All(Auc.ContainsKey) ? ChexpertLabels.CompetitionFive.Average(l => Auc[l]) : double.NaN;
}
