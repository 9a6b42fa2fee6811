using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// An evaluator per downstream task on ML.NET's task catalogs, after Microsoft.ML.TorchSharp's
/// <c>MulticlassClassification.EvaluateObjectDetection</c>: detection on the multiclass catalog (as there), segmentation
/// (a per-pixel binary decision) and multi-label classification (a binary decision per label) on the binary one.
/// </summary>
public static class PriorDownstreamEvaluation
{
    /// <summary>RSNA's mAP of <c>PriorDetection</c>'s output (see <see cref="DetectionMetrics.Evaluate"/>).</summary>
    public static PriorDetectionMetrics EvaluatePriorDetection(
        this MulticlassClassificationCatalog catalog,
        IDataView scored,
        string labelColumnName = "Boxes",
        string predictedBoxesColumnName = "PredictedBoxes",
        string predictedScoresColumnName = "PredictedBoxScores"
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return DetectionMetrics.Evaluate(scored, labelColumnName, predictedBoxesColumnName, predictedScoresColumnName);
    }

    /// <summary>Dice and IoU of <c>PriorSegmentation</c>'s output (see <see cref="SegmentationMetrics.Evaluate"/>).</summary>
    public static PriorSegmentationMetrics EvaluatePriorSegmentation(
        this BinaryClassificationCatalog catalog,
        IDataView scored,
        string imageColumnName = Defaults.ImagePathColumnName,
        string labelColumnName = "EncodedPixels",
        string predictedMaskColumnName = "PredictedEncodedPixels"
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return SegmentationMetrics.Evaluate(scored, imageColumnName, labelColumnName, predictedMaskColumnName);
    }

    private sealed class LabelScore
    {
        public bool Label { get; set; }
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    /// <summary>
    /// ML.NET's binary metrics (<c>EvaluateNonCalibrated</c>: AUC, F1, …) of <c>PriorImageClassification</c>'s output,
    /// per label (keyed by the score column's slot names); rows whose label is NaN are left out of that label, and a
    /// label whose rows are all of one class is left out (its AUC is undefined).
    /// </summary>
    public static IReadOnlyDictionary<string, BinaryClassificationMetrics> EvaluatePriorImageClassification(
        this BinaryClassificationCatalog catalog,
        IDataView scored,
        string labelColumnName = "Labels",
        string scoreColumnName = Defaults.ScoreColumnName
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(scored);
        var labelColumn = scored.Schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(labelColumnName), $"Column '{labelColumnName}' not found.");
        var scoreColumn = scored.Schema.GetColumnOrNull(scoreColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(scoreColumnName), $"Column '{scoreColumnName}' not found.");
        if (scoreColumn.Type is not VectorDataViewType { Size: > 0 and var count })
            throw new ArgumentOutOfRangeException(
                nameof(scoreColumnName),
                $"Column '{scoreColumnName}' is {scoreColumn.Type}; a Single vector of known size is expected."
            );
        if (labelColumn.Type is not VectorDataViewType { Size: var labelCount } || labelCount != count)
            throw new ArgumentOutOfRangeException(
                nameof(labelColumnName),
                $"Column '{labelColumnName}' is {labelColumn.Type}; a Single vector of {count} is expected."
            );
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        var names = scoreColumn.HasSlotNames(count)
            ? Names(scoreColumn, ref slotNames)
            : Enumerable.Range(1, count).Select(i => $"Label{i}").ToList();
        var labels = scored.GetColumn<float[]>(labelColumn).ToList();
        var scores = scored.GetColumn<float[]>(scoreColumn).ToList();
        var ml = new MLContext(seed: 1);
        var result = new Dictionary<string, BinaryClassificationMetrics>();
        for (int k = 0; k < count; k++)
        {
            var rows = labels
                .Zip(scores)
                .Where(p => !float.IsNaN(p.First[k]))
                .Select(p => new LabelScore
                {
                    Label = p.First[k] > 0.5f,
                    Score = p.Second[k],
                    PredictedLabel = p.Second[k] > 0.5f,
                })
                .ToList();
            if (rows.Select(r => r.Label).Distinct().Count() < 2)
                continue;
            result[names[k]] = ml.BinaryClassification.EvaluateNonCalibrated(ml.Data.LoadFromEnumerable(rows));
        }
        return result;
    }

    private static List<string> Names(DataViewSchema.Column column, ref VBuffer<ReadOnlyMemory<char>> names)
    {
        column.GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToList();
    }
}
