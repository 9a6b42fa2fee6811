using Prior.MLNet.Training;

namespace Prior.MLNet.Trainers;

/// <summary>
/// Settings of the downstream fine-tuning (the <c>Training</c> of <see cref="PriorDownstreamOptions"/>: classification, segmentation,
/// detection),
/// with the defaults used for the tables in docs/downstream.md. "Head" is the new part: the classifier's head or the
/// segmenter's decoder; "tower" the pretrained ResNet part.
/// </summary>
public sealed record FineTuningOptions
{
    /// <summary>Passes over the training images. Default 20.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Images per step. Default 32 (<see cref="PriorSegmentationOptions"/> and <see cref="PriorDetectionOptions"/>
    /// start from <see cref="DenseTaskBatchSize"/>).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// Images per step of segmentation and detection, the default of their options and of their simple catalog
    /// overloads alike: 16, since a dense decoder holds full-resolution feature maps per image.
    /// </summary>
    public const int DenseTaskBatchSize = 16;

    /// <summary>AdamW learning rate of the head. Default 1e-3.</summary>
    public double HeadLearningRate { get; init; } = 1e-3;

    /// <summary>AdamW learning rate of the image tower when it is fine-tuned. Default 1e-4.</summary>
    public double TowerLearningRate { get; init; } = 1e-4;

    /// <summary>Train the new part only, the pretrained tower frozen (in eval mode). Default false: the whole network is
    /// fine-tuned.</summary>
    public bool FreezeEncoder { get; init; }

    /// <summary>
    /// Seed of the head's initialisation, the batch order and the augmentation. Default null: the seed of the
    /// MLContext whose catalog made the trainer, or <see cref="DefaultSeed"/> when it has none.
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>The seed when neither <see cref="Seed"/> nor the MLContext gives one: 1.</summary>
    public const long DefaultSeed = 1;

    /// <summary>The seed training uses: <see cref="Seed"/>, else <see cref="DefaultSeed"/> (the trainers fill in the
    /// MLContext's before this is read).</summary>
    internal long SeedOrDefault => Seed ?? DefaultSeed;

    /// <summary>
    /// Asked before every step; true stops training with <see cref="OperationCanceledException"/>. The trainers set it
    /// to the MLContext's <c>CancelExecution()</c>, as ML.NET's own trainers stop.
    /// </summary>
    internal Func<bool>? StopRequested { get; init; }

    /// <summary>Where to train. Default <see cref="ComputeDevice.Auto"/>.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;

    /// <summary>Throws naming the first unusable value.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!(HeadLearningRate > 0))
            throw new ArgumentOutOfRangeException(nameof(HeadLearningRate), HeadLearningRate, "must be positive");
        if (!(TowerLearningRate > 0))
            throw new ArgumentOutOfRangeException(nameof(TowerLearningRate), TowerLearningRate, "must be positive");
    }
}
