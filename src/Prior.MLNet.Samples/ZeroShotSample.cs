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

    /// <summary>The five-class images of a CheXpert 5 x N subset.</summary>
    public static List<LabelledImage> Images(MLContext ml, SampleData data) =>
        ml
            .Data.CreateEnumerable<CheXpertImage>(
                ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = data.CheXpertRoot, Csv = data.ZeroShotCsv }),
                false
            )
            .Select(i => new LabelledImage
            {
                ImagePath = i.ImagePath,
                Label = ChexpertLabels.CompetitionFive.First(c => i.Labels[ChexpertLabels.IndexOf(c)] == 1f),
            })
            .ToList();

    /// <summary>Runs the sample; returns the accuracy.</summary>
    public static double Run(SampleData data)
    {
        var ml = new MLContext(seed: 1);
        using var network = PriorNetwork.Load(data.ModelPath);
        IDataView images = ml.Data.LoadFromEnumerable(Images(ml, data));

        // Key k of PredictedLabel is the k-th class of the prompts: map the labels in the same order.
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
