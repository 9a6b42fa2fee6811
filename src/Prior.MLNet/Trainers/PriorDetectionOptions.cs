using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.PriorDetection</c>: an FCOS-style detector on PRIOR's ResNet. The label column
/// is a Single vector of boxes, four numbers each in the image's pixels (x, y of the top-left corner, width, height;
/// empty for none), as <c>LoadRsnaPneumonia</c> gives; the outputs are the predicted boxes in the same form and a score
/// per box.
/// </summary>
public sealed class PriorDetectionOptions : PriorDownstreamOptions
{
    /// <summary>Creates the options with the default label column "Boxes" and <see cref="FineTuningOptions.DenseTaskBatchSize"/>
    /// images per step.</summary>
    public PriorDetectionOptions()
    {
        LabelColumnName = "Boxes";
        Training = new FineTuningOptions { BatchSize = FineTuningOptions.DenseTaskBatchSize };
    }

    /// <summary>Output: predicted boxes, four numbers each (x, y, width, height in the image's pixels). Default "PredictedBoxes".</summary>
    public string PredictedBoxesColumnName { get; init; } = "PredictedBoxes";

    /// <summary>Output: each predicted box's score, most confident first. Default "PredictedBoxScores".</summary>
    public string PredictedScoresColumnName { get; init; } = "PredictedBoxScores";

    /// <summary>Boxes scoring less are dropped; null (default) chooses it on the training images (the threshold that maximises their
    /// mAP).</summary>
    public double? ScoreThreshold { get; init; }

    internal override void Validate()
    {
        base.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(PredictedBoxesColumnName, nameof(PredictedBoxesColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(PredictedScoresColumnName, nameof(PredictedScoresColumnName));
        if (ScoreThreshold is { } t && t is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(ScoreThreshold), t, "must be in [0, 1]");
    }
}
