using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// Options of <c>mlContext.BinaryClassification.Trainers.PriorSegmentation</c>: a U-Net on PRIOR's ResNet. The label column holds SIIM's
/// run-length masks in the image's pixels — a text vector (every mask of the image; their union is the target, as
/// <c>LoadSiimPneumothorax</c> gives) or one text — with "-1" for none. The output is the predicted mask in the same
/// encoding at the image's own size (the network's mask, scaled up by nearest neighbour): what SIIM submissions hold.
/// </summary>
public sealed class PriorSegmentationOptions : PriorDownstreamOptions
{
    /// <summary>Creates the options with the default label column "EncodedPixels" and <see cref="FineTuningOptions.DenseTaskBatchSize"/>
    /// images per step.</summary>
    public PriorSegmentationOptions()
    {
        LabelColumnName = "EncodedPixels";
        Training = new FineTuningOptions { BatchSize = FineTuningOptions.DenseTaskBatchSize };
    }

    /// <summary>Output: the predicted mask, SIIM's run-length encoding at the image's size. Default "PredictedEncodedPixels".</summary>
    public string PredictedMaskColumnName { get; init; } = "PredictedEncodedPixels";

    internal override void Validate()
    {
        base.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(PredictedMaskColumnName, nameof(PredictedMaskColumnName));
    }
}
