namespace Prior.MLNet.Evaluation;

/// <summary>What <see cref="SegmentationMetrics.Evaluate"/> measured (<c>EvaluatePriorSegmentation</c>).</summary>
/// <param name="Dice">Mean Dice over all images (SIIM's rule for empty masks).</param>
/// <param name="IoU">Mean IoU over all images.</param>
/// <param name="DiceOnPositives">Mean Dice over the images whose true mask is not empty (NaN when none is).</param>
/// <param name="Images">Rows read.</param>
/// <param name="Positives">Rows with a true mask.</param>
public sealed record PriorSegmentationMetrics(double Dice, double IoU, double DiceOnPositives, int Images, int Positives);
