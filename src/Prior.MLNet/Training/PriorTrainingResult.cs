using Prior.MLNet.Interop;
using Prior.MLNet.Modeling;

namespace Prior.MLNet.Training;

/// <summary>What <see cref="PriorTrainer.Train"/> returns.</summary>
/// <param name="Model">The trained network (on the training device, in eval mode).</param>
/// <param name="History">The most recent <see cref="PriorTrainerOptions.HistoryLimit"/> step records, in order (from the resume point when
/// resuming).</param>
/// <param name="SkippedSamples">Samples dropped during training (unreadable images), with their path and reason.</param>
internal sealed record PriorTrainingResult(PriorModel Model, IReadOnlyList<TrainingProgress> History, IReadOnlyList<string> SkippedSamples)
{
    /// <summary>The accounts of the initial weights loaded (image tower, text tower), empty when training started from random
    /// weights.</summary>
    public IReadOnlyList<WeightImportReport> InitialWeights { get; init; } = [];

    /// <summary>What training had to say besides progress: stale temporary folders removed, damaged checkpoints skipped, where it
    /// resumed.</summary>
    public IReadOnlyList<string> Notices { get; init; } = [];

    /// <summary>The sentence bank's usage per epoch of stages 2–3 (from the resume point when resuming).</summary>
    public IReadOnlyList<PrototypeUsage> PrototypeUsage { get; init; } = [];

    /// <summary>Each epoch's <see cref="GradientShare"/> when <see cref="PriorTrainerOptions.MeasureGradientShares"/> is set; else
    /// empty.</summary>
    public IReadOnlyList<GradientShare> GradientShares { get; init; } = [];
}
