using Microsoft.ML;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// The downstream tasks of PRIOR's paper as ML.NET trainers, where ML.NET keeps its own image trainers and beside the
/// evaluators that score them: <c>mlContext.BinaryClassification.Trainers.PriorImageClassification</c> (one binary
/// task per label) and <c>PriorSegmentation</c> (one binary decision per pixel), and
/// <c>mlContext.MulticlassClassification.Trainers.PriorDetection</c> (as ML.NET's <c>ObjectDetection</c>). Each has a
/// simple overload (columns and the pretrained network) and an options overload, after Microsoft.ML.TorchSharp's trainers.
/// As ML.NET's own trainers, each takes its MLContext's seed (when <see cref="FineTuningOptions.Seed"/> is not set), log
/// (a line per epoch on the channel <c>PriorDownstream</c>) and <c>CancelExecution()</c> (stops before the next step).
/// </summary>
public static class PriorDownstreamCatalog
{
    /// <summary>Multi-label classification on PRIOR's image tower (see <see cref="PriorImageClassificationOptions"/>).</summary>
    public static PriorDownstreamEstimator PriorImageClassification(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        PriorImageClassificationOptions options
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PriorDownstreamEstimator(Transforms.Persistence.MLNetInternals.Environment(catalog), options);
    }

    /// <summary>
    /// Multi-label classification on <paramref name="pretrained"/>'s image tower (null: random weights): labels a Single
    /// vector (1, 0, NaN unknown), output a probability per label.
    /// </summary>
    public static PriorDownstreamEstimator PriorImageClassification(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        PriorNetwork? pretrained,
        string labelColumnName = "Labels",
        string imageColumnName = Defaults.ImagePathColumnName,
        string scoreColumnName = Defaults.ScoreColumnName,
        int epochs = 20
    ) =>
        catalog.PriorImageClassification(
            new PriorImageClassificationOptions
            {
                Pretrained = pretrained,
                LabelColumnName = labelColumnName,
                ImageColumnName = imageColumnName,
                ScoreColumnName = scoreColumnName,
                Training = new FineTuningOptions { Epochs = epochs },
            }
        );

    /// <summary>Segmentation with a U-Net on PRIOR's ResNet (see <see cref="PriorSegmentationOptions"/>).</summary>
    public static PriorDownstreamEstimator PriorSegmentation(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        PriorSegmentationOptions options
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PriorDownstreamEstimator(Transforms.Persistence.MLNetInternals.Environment(catalog), options);
    }

    /// <summary>
    /// Segmentation with a U-Net on <paramref name="pretrained"/>'s ResNet (null: random weights): labels SIIM run-length
    /// masks, output the predicted mask in the same encoding at the image's size.
    /// </summary>
    public static PriorDownstreamEstimator PriorSegmentation(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        PriorNetwork? pretrained,
        string labelColumnName = "EncodedPixels",
        string imageColumnName = Defaults.ImagePathColumnName,
        string predictedMaskColumnName = "PredictedEncodedPixels",
        int epochs = 20
    ) =>
        catalog.PriorSegmentation(
            new PriorSegmentationOptions
            {
                Pretrained = pretrained,
                LabelColumnName = labelColumnName,
                ImageColumnName = imageColumnName,
                PredictedMaskColumnName = predictedMaskColumnName,
                Training = new FineTuningOptions { Epochs = epochs, BatchSize = FineTuningOptions.DenseTaskBatchSize },
            }
        );

    /// <summary>Box detection with an FCOS-style detector on PRIOR's ResNet (see <see cref="PriorDetectionOptions"/>).</summary>
    public static PriorDownstreamEstimator PriorDetection(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        PriorDetectionOptions options
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PriorDownstreamEstimator(Transforms.Persistence.MLNetInternals.Environment(catalog), options);
    }

    /// <summary>
    /// Box detection on <paramref name="pretrained"/>'s ResNet (null: random weights): labels boxes (x, y, width, height
    /// in pixels, four numbers each), outputs boxes in the same form and their scores.
    /// </summary>
    public static PriorDownstreamEstimator PriorDetection(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        PriorNetwork? pretrained,
        string labelColumnName = "Boxes",
        string imageColumnName = Defaults.ImagePathColumnName,
        string predictedBoxesColumnName = "PredictedBoxes",
        string predictedScoresColumnName = "PredictedBoxScores",
        int epochs = 20
    ) =>
        catalog.PriorDetection(
            new PriorDetectionOptions
            {
                Pretrained = pretrained,
                LabelColumnName = labelColumnName,
                ImageColumnName = imageColumnName,
                PredictedBoxesColumnName = predictedBoxesColumnName,
                PredictedScoresColumnName = predictedScoresColumnName,
                Training = new FineTuningOptions { Epochs = epochs, BatchSize = FineTuningOptions.DenseTaskBatchSize },
            }
        );
}
