using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// Mean average precision over IoU thresholds in the way of the RSNA Pneumonia Detection Challenge: for each image and
/// threshold t, predictions are taken from the most to the least confident, each matched to the unmatched true box it
/// overlaps most when that IoU exceeds t (a hit) and counted as a false positive otherwise; true boxes left unmatched
/// are misses; the image's precision at t is hits / (hits + false positives + misses), its score the mean over the
/// thresholds; the dataset's score the mean over images. An image without true boxes scores 0 when anything is
/// predicted on it and is left out when nothing is (it has nothing to score). The challenge used thresholds 0.40 …
/// 0.75 in steps of 0.05 (<see cref="ChallengeThresholds"/>); papers after it (LOVT, whose protocol PRIOR follows)
/// also report a wider range, 0.25 … 0.75 (<see cref="WideThresholds"/>).
/// </summary>
internal static class DetectionMetrics
{
    /// <summary>The RSNA challenge's thresholds: 0.40, 0.45, …, 0.75.</summary>
    public static IReadOnlyList<double> ChallengeThresholds { get; } = Steps(0.40, 0.75);

    /// <summary>The wider range: 0.25, 0.30, …, 0.75.</summary>
    public static IReadOnlyList<double> WideThresholds { get; } = Steps(0.25, 0.75);

    private static double[] Steps(double from, double to) =>
        Enumerable.Range(0, (int)Math.Round((to - from) / 0.05) + 1).Select(i => Math.Round(from + 0.05 * i, 2)).ToArray();

    /// <summary>One image's score (mean precision over <paramref name="thresholds"/>), or null for an image with neither true nor predicted
    /// boxes.</summary>
    public static double? ImagePrecision(
        IReadOnlyList<BoundingBox> truth,
        IReadOnlyList<BoundingBox> predicted,
        IReadOnlyList<double> thresholds
    )
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(thresholds);
        if (thresholds.Count == 0)
            throw new ArgumentException("At least one IoU threshold is needed.", nameof(thresholds));
        if (truth.Count == 0)
            return predicted.Count == 0 ? null : 0;
        if (predicted.Count == 0)
            return 0;
        // Stable order: equal scores keep the caller's order.
        var ordered = predicted
            .Select((box, index) => (box, index))
            .OrderByDescending(p => p.box.Score)
            .ThenBy(p => p.index)
            .Select(p => p.box)
            .ToList();
        double sum = 0;
        foreach (var t in thresholds)
        {
            var matched = new bool[truth.Count];
            int hits = 0,
                falsePositives = 0;
            foreach (var p in ordered)
            {
                int best = -1;
                double bestIoU = 0;
                for (int g = 0; g < truth.Count; g++)
                {
                    if (matched[g])
                        continue;
                    double iou = p.IoU(truth[g]);
                    if (iou > bestIoU)
                        (best, bestIoU) = (g, iou);
                }
                if (best >= 0 && bestIoU > t)
                {
                    matched[best] = true;
                    hits++;
                }
                else
                    falsePositives++;
            }
            int misses = truth.Count - hits;
            sum += (double)hits / (hits + falsePositives + misses);
        }
        return sum / thresholds.Count;
    }

    /// <summary>The dataset's score: the mean of <see cref="ImagePrecision"/> over the images that have one (NaN when none has).</summary>
    public static double MeanAveragePrecision(
        IReadOnlyList<(IReadOnlyList<BoundingBox> Truth, IReadOnlyList<BoundingBox> Predicted)> images,
        IReadOnlyList<double> thresholds
    )
    {
        ArgumentNullException.ThrowIfNull(images);
        var scores = images
            .Select(i => ImagePrecision(i.Truth, i.Predicted, thresholds))
            .Where(s => s is not null)
            .Select(s => s!.Value)
            .ToList();
        return scores.Count == 0 ? double.NaN : scores.Average();
    }

    /// <summary>
    /// Scores a view <c>PriorDetection</c>'s transformer produced: true boxes (four numbers each, as <c>LoadRsnaPneumonia</c>
    /// gives) against the predicted boxes and their scores, all in the image's pixels.
    /// </summary>
    public static PriorDetectionMetrics Evaluate(
        IDataView scored,
        string truthColumnName = "Boxes",
        string predictedBoxesColumnName = "PredictedBoxes",
        string predictedScoresColumnName = "PredictedBoxScores"
    )
    {
        ArgumentNullException.ThrowIfNull(scored);
        var columns = new[] { truthColumnName, predictedBoxesColumnName, predictedScoresColumnName }
            .Select(name =>
            {
                var column = scored.Schema.GetColumnOrNull(name)
                    ?? throw new ArgumentOutOfRangeException(
                        nameof(scored),
                        $"Column '{name}' not found; the view has: {string.Join(", ", scored.Schema.Select(c => c.Name))}."
                    );
                if (column.Type is not VectorDataViewType { ItemType: var item } || item != NumberDataViewType.Single)
                    throw new ArgumentOutOfRangeException(
                        nameof(scored),
                        $"Column '{name}' is {column.Type}; a Single vector is expected."
                    );
                return column;
            })
            .ToArray();
        var images = new List<(IReadOnlyList<BoundingBox>, IReadOnlyList<BoundingBox>)>();
        using var cursor = scored.GetRowCursor(columns);
        var getters = columns.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
        VBuffer<float> truth = default,
            boxes = default,
            scores = default;
        while (cursor.MoveNext())
        {
            getters[0](ref truth);
            getters[1](ref boxes);
            getters[2](ref scores);
            var s = scores.DenseValues().ToArray();
            var predicted = BoundingBox.FromFlat(boxes.DenseValues().ToArray());
            if (predicted.Count != s.Length)
                throw new InvalidDataException($"Row {images.Count + 1}: {predicted.Count} predicted boxes but {s.Length} scores.");
            images.Add((BoundingBox.FromFlat(truth.DenseValues().ToArray()), predicted.Select((b, k) => b with { Score = s[k] }).ToList()));
        }
        int scoredImages = images.Count(i => i.Item1.Count > 0 || i.Item2.Count > 0);
        return new PriorDetectionMetrics(
            MeanAveragePrecision(images, WideThresholds),
            MeanAveragePrecision(images, ChallengeThresholds),
            scoredImages,
            images.Count
        );
    }
}
