using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Evaluation;

/// <summary>Zero-shot results evaluated with ML.NET's multiclass evaluator, plus macro F1 and Cohen's κ.</summary>
internal static class ZeroShotEvaluation
{
    /// <summary>The figures.</summary>
    /// <param name="Metrics">ML.NET's metrics (accuracy, macro accuracy, log loss, confusion matrix).</param>
    /// <param name="MacroF1">Unweighted mean F1 over classes.</param>
    /// <param name="Kappa">Cohen's κ.</param>
    public sealed record Result(MulticlassClassificationMetrics Metrics, double MacroF1, double Kappa);

    private sealed class Row
    {
        public uint Label { get; set; }
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    /// <summary>
    /// Evaluates scores [N, C] against true class indices through <c>mlContext.MulticlassClassification.Evaluate</c>
    /// (scores are normalised to sum 1 per row for the log loss).
    /// </summary>
    public static Result Evaluate(
        MLContext mlContext,
        IReadOnlyList<int> truth,
        IReadOnlyList<float[]> scores,
        IReadOnlyList<string> classes
    )
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        if (truth.Count != scores.Count)
            throw new ArgumentException($"{truth.Count} labels but {scores.Count} score rows.");
        int k = classes.Count;
        var rows = truth
            .Select(
                (t, i) =>
                {
                    var s = scores[i];
                    float sum = s.Sum();
                    int best = Array.IndexOf(s, s.Max());
                    // Keys loaded through LoadFromEnumerable are given 0-based (ML.NET stores them 1-based, 0 = missing).
                    return new Row
                    {
                        Label = (uint)t,
                        Score = s.Select(v => v / sum).ToArray(),
                        PredictedLabel = (uint)best,
                    };
                }
            )
            .ToList();
        var schema = SchemaDefinition.Create(typeof(Row));
        var keyType = new KeyDataViewType(typeof(uint), k);
        var names = new VBuffer<ReadOnlyMemory<char>>(k, classes.Select(c => c.AsMemory()).ToArray());
        foreach (var column in new[] { "Label", "PredictedLabel" })
        {
            schema[column].ColumnType = keyType;
            schema[column].AddAnnotation("KeyValues", names, new VectorDataViewType(TextDataViewType.Instance, k));
        }
        schema["Score"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, k);
        schema["Score"].AddAnnotation("SlotNames", names, new VectorDataViewType(TextDataViewType.Instance, k));
        var data = mlContext.Data.LoadFromEnumerable(rows, schema);
        var metrics = mlContext.MulticlassClassification.Evaluate(data);
        var confusion = metrics.ConfusionMatrix.Counts;
        return new Result(metrics, ClassificationMetrics.MacroF1(confusion), ClassificationMetrics.CohensKappa(confusion));
    }
}
