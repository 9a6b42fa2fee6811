using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples;

/// <summary>Zero-shot classification of CheXpert's five competition labels, evaluated by ML.NET's multiclass metrics.</summary>
public static class ZeroShotSample
{
    /// <summary>One image and its class.</summary>
    public sealed class LabelledImage
    {
        /// <summary>The image file.</summary>
        public string ImagePath { get; set; } = "";

        /// <summary>One of <see cref="ChexpertLabels.CompetitionFive"/>.</summary>
        public string Label { get; set; } = "";
    }

    /// <summary>
    /// The images of a CheXpert 5 x N subset that are positive for exactly one of the five classes, with that class
    /// (the 5x200 protocol, as <c>mlContext.PriorEvaluation().EvaluateZeroShot</c> applies it).
    /// </summary>
    public static List<LabelledImage> Images(MLContext ml, SampleData data) =>
        ml
            .Data.CreateEnumerable<CheXpertImage>(
                ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = data.CheXpertRoot, Csv = data.ZeroShotCsv }),
                false
            )
            .Select(i =>
                (i.ImagePath, Positive: ChexpertLabels.CompetitionFive.Where(c => i.Labels[ChexpertLabels.IndexOf(c)] == 1f).ToList())
            )
            .Where(i => i.Positive.Count == 1)
            .Select(i => new LabelledImage { ImagePath = i.ImagePath, Label = i.Positive[0] })
            .ToList();

    /// <summary>Runs the sample; returns the accuracy.</summary>
    public static double Run(SampleData data)
    {
        var ml = new MLContext(seed: 1);
        using var network = PriorNetwork.Load(data.ModelPath);

        // In a pipeline: PriorZeroShotClassification adds Score and PredictedLabel; key k of PredictedLabel is the k-th
        // class of the prompts, so the labels are mapped in the same order before ML.NET's evaluator compares them.
        IDataView images = ml.Data.LoadFromEnumerable(Images(ml, data));
        var classes = ml.Data.LoadFromEnumerable(ChexpertLabels.CompetitionFive.Select(c => new { Label = c }));
        var pipeline = ml
            .Transforms.Conversion.MapValueToKey("LabelKey", "Label", keyData: classes)
            .Append(ml.Transforms.PriorZeroShotClassification(network, ZeroShotPrompts.CheXpert5));
        var metrics = ml.MulticlassClassification.Evaluate(pipeline.Fit(images).Transform(images), labelColumnName: "LabelKey");
        Console.WriteLine($"zero-shot accuracy {metrics.MicroAccuracy:0.000} (chance 0.200)");
        Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());
        return metrics.MicroAccuracy;
    }
}
