namespace Prior.MLNet.Evaluation;

/// <summary>What <see cref="DetectionMetrics.Evaluate"/> measured (<c>EvaluatePriorDetection</c>).</summary>
/// <param name="Map">mAP over IoU 0.25 … 0.75.</param>
/// <param name="MapChallenge">mAP over the RSNA challenge's IoU 0.40 … 0.75.</param>
/// <param name="ScoredImages">Images with a score (those with true or predicted boxes).</param>
/// <param name="Images">Rows read.</param>
public sealed record PriorDetectionMetrics(double Map, double MapChallenge, int ScoredImages, int Images);
