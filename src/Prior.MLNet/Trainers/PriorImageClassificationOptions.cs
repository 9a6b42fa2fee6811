using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// Options of <c>mlContext.BinaryClassification.Trainers.PriorImageClassification</c>: multi-label classification on PRIOR's image
/// tower. The label column is a Single vector with one value per label (1 present, 0 absent, NaN unknown: left out of
/// the loss), e.g. the CheXpert loader's; the output a Single vector of probabilities, one per label.
/// </summary>
public sealed class PriorImageClassificationOptions : PriorDownstreamOptions
{
    /// <summary>Creates the options with the default label column "Labels".</summary>
    public PriorImageClassificationOptions() => LabelColumnName = "Labels";

    /// <summary>The label names, in the label vector's order; null (default) takes the column's slot names, or Label1, Label2, ….</summary>
    public IReadOnlyList<string>? LabelNames { get; init; }

    /// <summary>Output: a probability per label, with the label names as slot names. Default "Score".</summary>
    public string ScoreColumnName { get; init; } = Defaults.ScoreColumnName;

    internal override void Validate()
    {
        base.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(ScoreColumnName, nameof(ScoreColumnName));
    }
}
