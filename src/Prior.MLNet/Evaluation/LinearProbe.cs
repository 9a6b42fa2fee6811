using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Prior.MLNet.Data;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// Linear probing: frozen PRIOR image embeddings → ML.NET's L-BFGS logistic regression per label, trained on a
/// fraction (1 %, 10 %, 100 %) of the labelled training images and evaluated on a test set with
/// <c>BinaryClassification.Evaluate</c> (area under the ROC curve per label).
/// </summary>
internal static class LinearProbe
{
    /// <summary>One labelled image.</summary>
    /// <param name="ImagePath">The image file.</param>
    /// <param name="Labels">Binary labels (0/1) in <see cref="LinearProbe.Run"/>'s label order; NaN rows are left out for that
    /// label.</param>
    public sealed record Example(string ImagePath, float[] Labels);

    private sealed class Row
    {
        public bool Label { get; set; }

        [VectorType]
        public float[] Features { get; set; } = [];
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    /// <summary>
    /// Embeds train and test images once, then trains and evaluates a probe per label and fraction. An unreadable image
    /// fails the run naming it, or with <see cref="UnreadableImageHandling.Skip"/> its example is left out and the
    /// reason added to <paramref name="skipped"/>.
    /// </summary>
    public static IReadOnlyList<PriorLinearProbeMetrics> Run(
        MLContext mlContext,
        PriorNetwork network,
        IReadOnlyList<Example> train,
        IReadOnlyList<Example> test,
        IReadOnlyList<string> labels,
        IReadOnlyList<double> fractions,
        long seed = 1,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        ICollection<string>? skipped = null,
        string trainName = "the training images",
        string testName = "the test images"
    )
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(network);
        if (fractions.Any(f => f is <= 0 or > 1))
            throw new ArgumentOutOfRangeException(nameof(fractions), "Fractions must be in (0, 1].");
        var schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, network.EmbeddingDim);
        float[][] trainEmbeddings,
            testEmbeddings;
        // Progress goes to the MLContext's log (channel PriorEvaluation), as ML.NET's own trainers report theirs.
        using var channel = ((IChannelProvider)mlContext).Start("PriorEvaluation");
        channel.Info(MessageSensitivity.None, $"linear probe: embedding {train.Count} training and {test.Count} test images");
        (train, trainEmbeddings) = Embed(mlContext, network, train, unreadableImages, skipped);
        (test, testEmbeddings) = Embed(mlContext, network, test, unreadableImages, skipped);
        var results = new List<PriorLinearProbeMetrics>();
        foreach (var fraction in fractions)
        {
            var chosen = LabelFraction.Choose(train.Count, fraction, seed);
            var auc = new Dictionary<string, double>();
            var unscored = new Dictionary<string, string>();
            for (int k = 0; k < labels.Count; k++)
            {
                var trainRows = chosen
                    .Where(i => !float.IsNaN(train[i].Labels[k]))
                    .Select(i => new Row { Label = train[i].Labels[k] > 0.5f, Features = trainEmbeddings[i] })
                    .ToList();
                var testRows = Enumerable
                    .Range(0, test.Count)
                    .Where(i => !float.IsNaN(test[i].Labels[k]))
                    .Select(i => new Row { Label = test[i].Labels[k] > 0.5f, Features = testEmbeddings[i] })
                    .ToList();
                // AUC is undefined without both classes on each side: say which is missing where.
                var missing = Missing(
                        trainRows,
                        fraction < 1 ? $"{trainName} ({(fraction * 100).ToString("0.##", CultureInfo.InvariantCulture)} %)" : trainName
                    )
                    .Concat(Missing(testRows, testName))
                    .ToList();
                if (missing.Count > 0)
                {
                    unscored[labels[k]] = string.Join(", ", missing);
                    continue;
                }
                var model = mlContext
                    .BinaryClassification.Trainers.LbfgsLogisticRegression()
                    .Fit(mlContext.Data.LoadFromEnumerable(trainRows, schema));
                var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(mlContext.Data.LoadFromEnumerable(testRows, schema)));
                auc[labels[k]] = metrics.AreaUnderRocCurve;
            }
            results.Add(new PriorLinearProbeMetrics(fraction, auc, unscored));
            channel.Info(
                MessageSensitivity.None,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"linear probe at {fraction * 100:0.##} %: {chosen.Count} training images, {auc.Count} of {labels.Count} labels "
                        + $"scored, mean AUC {results[^1].MeanAuc:0.000}"
                )
            );
        }
        return results;
    }

    private static IEnumerable<string> Missing(List<Row> rows, string where) => Missing(rows.Select(r => r.Label).ToList(), where);

    private static IEnumerable<string> Missing(IReadOnlyCollection<bool> labels, string where)
    {
        if (labels.Count == 0)
            yield return $"no labelled image in {where}";
        else if (!labels.Any(l => l))
            yield return $"no positive in {where}";
        else if (labels.All(l => l))
            yield return $"no negative in {where}";
    }

    /// <summary>
    /// The labels that cannot be scored with <paramref name="train"/> and <paramref name="test"/> (a set without a
    /// positive or without a negative), each with the reason, e.g. "no positive in valid.csv".
    /// </summary>
    public static Dictionary<string, string> Unscorable(
        IReadOnlyList<Example> train,
        IReadOnlyList<Example> test,
        IReadOnlyList<string> labels,
        string trainName,
        string testName
    )
    {
        var reasons = new Dictionary<string, string>();
        for (int k = 0; k < labels.Count; k++)
        {
            List<bool> Known(IReadOnlyList<Example> set) =>
                set.Where(e => !float.IsNaN(e.Labels[k])).Select(e => e.Labels[k] > 0.5f).ToList();
            var missing = Missing(Known(train), trainName).Concat(Missing(Known(test), testName)).ToList();
            if (missing.Count > 0)
                reasons[labels[k]] = string.Join(", ", missing);
        }
        return reasons;
    }

    private static (IReadOnlyList<Example> Examples, float[][] Embeddings) Embed(
        MLContext mlContext,
        PriorNetwork network,
        IReadOnlyList<Example> examples,
        UnreadableImageHandling unreadableImages,
        ICollection<string>? skipped
    )
    {
        var data = mlContext.Data.LoadFromEnumerable(examples.Select(e => new PathRow { ImagePath = e.ImagePath }));
        var embedded = mlContext
            .Transforms.PriorImageEmbedding(network, batchSize: Defaults.InferenceBatchSize, unreadableImages: unreadableImages)
            .Fit(data)
            .Transform(data);
        var vectors = embedded.GetColumn<float[]>("ImageEmbedding").ToArray();
        if (unreadableImages == UnreadableImageHandling.Fail)
            return (examples, vectors);
        var errors = embedded.GetColumn<string>(Defaults.ImageErrorColumnName).ToArray();
        var keep = Enumerable.Range(0, examples.Count).Where(i => errors[i].Length == 0).ToList();
        foreach (var error in errors.Where(e => e.Length > 0))
            skipped?.Add(error);
        return (keep.Select(i => examples[i]).ToList(), keep.Select(i => vectors[i]).ToArray());
    }
}
