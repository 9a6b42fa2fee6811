using Microsoft.ML;

namespace Prior.MLNet.Transforms.Downstream;

/// <summary>
/// <c>mlContext.Transforms.PriorImageClassification</c>, <c>PriorSegmentation</c> and <c>PriorDetection</c>: the
/// downstream tasks of PRIOR's paper as ML.NET trainers, each with a simple overload (columns and the pretrained
/// network) and an options overload, after Microsoft.ML.TorchSharp's trainers.
/// </summary>
public static class PriorDownstreamCatalog
{
    /// <summary>Multi-label classification on PRIOR's image tower (see <see cref="PriorImageClassificationOptions"/>).</summary>
    public static PriorDownstreamEstimator PriorImageClassification(this TransformsCatalog catalog, PriorImageClassificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PriorDownstreamEstimator(options);
    }

    /// <summary>
    /// Multi-label classification on <paramref name="pretrained"/>'s image tower (null: random weights): labels a Single
    /// vector (1, 0, NaN unknown), output a probability per label.
    /// </summary>
    public static PriorDownstreamEstimator PriorImageClassification(this TransformsCatalog catalog, PriorNetwork? pretrained,
        string labelColumnName = "Labels", string imageColumnName = "ImagePath", string scoreColumnName = "Score", int epochs = 20) =>
        catalog.PriorImageClassification(new PriorImageClassificationOptions
        {
            Pretrained = pretrained, LabelColumnName = labelColumnName, ImageColumnName = imageColumnName, ScoreColumnName = scoreColumnName,
            Training = new Prior.MLNet.Downstream.FineTuningOptions { Epochs = epochs },
        });

    /// <summary>Segmentation with a U-Net on PRIOR's ResNet (see <see cref="PriorSegmentationOptions"/>).</summary>
    public static PriorDownstreamEstimator PriorSegmentation(this TransformsCatalog catalog, PriorSegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PriorDownstreamEstimator(options);
    }

    /// <summary>
    /// Segmentation with a U-Net on <paramref name="pretrained"/>'s ResNet (null: random weights): labels SIIM run-length
    /// masks, output the predicted mask in the same encoding at the image's size.
    /// </summary>
    public static PriorDownstreamEstimator PriorSegmentation(this TransformsCatalog catalog, PriorNetwork? pretrained,
        string labelColumnName = "EncodedPixels", string imageColumnName = "ImagePath", string predictedMaskColumnName = "PredictedEncodedPixels", int epochs = 20) =>
        catalog.PriorSegmentation(new PriorSegmentationOptions
        {
            Pretrained = pretrained, LabelColumnName = labelColumnName, ImageColumnName = imageColumnName, PredictedMaskColumnName = predictedMaskColumnName,
            Training = new Prior.MLNet.Downstream.FineTuningOptions { Epochs = epochs, BatchSize = 16 },
        });

    /// <summary>Box detection with an FCOS-style detector on PRIOR's ResNet (see <see cref="PriorDetectionOptions"/>).</summary>
    public static PriorDownstreamEstimator PriorDetection(this TransformsCatalog catalog, PriorDetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PriorDownstreamEstimator(options);
    }

    /// <summary>
    /// Box detection on <paramref name="pretrained"/>'s ResNet (null: random weights): labels boxes (x, y, width, height
    /// in pixels, four numbers each), outputs boxes in the same form and their scores.
    /// </summary>
    public static PriorDownstreamEstimator PriorDetection(this TransformsCatalog catalog, PriorNetwork? pretrained,
        string labelColumnName = "Boxes", string imageColumnName = "ImagePath", string predictedBoxesColumnName = "PredictedBoxes",
        string predictedScoresColumnName = "PredictedBoxScores", int epochs = 20) =>
        catalog.PriorDetection(new PriorDetectionOptions
        {
            Pretrained = pretrained, LabelColumnName = labelColumnName, ImageColumnName = imageColumnName,
            PredictedBoxesColumnName = predictedBoxesColumnName, PredictedScoresColumnName = predictedScoresColumnName,
            Training = new Prior.MLNet.Downstream.FineTuningOptions { Epochs = epochs, BatchSize = 16 },
        });
}
