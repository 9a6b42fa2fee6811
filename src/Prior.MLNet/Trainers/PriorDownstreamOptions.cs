using Prior.MLNet.Data.Images;
using Prior.MLNet.Downstream;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>
/// What the downstream trainers (<c>PriorImageClassification</c>, <c>PriorSegmentation</c>, <c>PriorDetection</c>)
/// share: the image column, the pretrained network to start from (or none, for random weights), the training settings
/// and the inference batch size. Each task's options add its label and output columns.
/// </summary>
public abstract class PriorDownstreamOptions
{
    /// <summary>The image column: paths (text) in training; paths, MLImages or preprocessed pixels when scoring. Default
    /// "ImagePath".</summary>
    public string ImageColumnName { get; init; } = Defaults.ImagePathColumnName;

    /// <summary>The label column; its form depends on the task (see each task's options).</summary>
    public string LabelColumnName { get; init; } = Defaults.LabelColumnName;

    /// <summary>
    /// The pretrained PRIOR network whose image tower starts the fine-tuning (it stays the caller's; only its weights
    /// are copied); null trains the same architecture (<see cref="Architecture"/>) from random weights. Default null.
    /// </summary>
    public PriorNetwork? Pretrained { get; init; }

    /// <summary>The network's sizes when <see cref="Pretrained"/> is null. Default <see cref="PriorPreset.Tiny"/>.</summary>
    public PriorPreset Architecture { get; init; } = Defaults.Preset;

    /// <summary>Epochs, batch size, learning rates, freezing, seed, device. Default <see cref="FineTuningOptions"/>' defaults.</summary>
    public FineTuningOptions Training { get; init; } = new();

    /// <summary>Images per forward pass when scoring. Default 32.</summary>
    public int InferenceBatchSize { get; init; } = Defaults.InferenceBatchSize;

    /// <summary>Also given each epoch's line, which always goes to the MLContext's log (channel <c>PriorDownstream</c>);
    /// null (default) for only the MLContext's log.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The architecture to build: the pretrained network's, or <see cref="Architecture"/>, or the tiny preset's.</summary>
    internal PriorModelOptions ResolvedArchitecture => Pretrained?.Model.Options ?? PriorModelOptions.FromPreset(Architecture);

    /// <summary>The image normalisation: the pretrained network's, or MIMIC-CXR's.</summary>
    internal (float Mean, float Std) Normalisation =>
        Pretrained is { } p ? (p.Inference.ImageMean, p.Inference.ImageStd) : (ImagePreprocessor.MimicMean, ImagePreprocessor.MimicStd);

    /// <summary>Throws naming the first unusable value.</summary>
    internal virtual void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ImageColumnName, nameof(ImageColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        ArgumentNullException.ThrowIfNull(Training, nameof(Training));
        Training.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(InferenceBatchSize, 1, nameof(InferenceBatchSize));
        ResolvedArchitecture.Validate();
    }
}
