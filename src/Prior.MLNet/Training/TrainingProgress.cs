using Prior.MLNet.Modeling;

namespace Prior.MLNet.Training;

/// <summary>What the trainer reports after each step.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Epoch">Epoch within the stage (0-based).</param>
/// <param name="Step">Step within the epoch (0-based).</param>
/// <param name="StepsPerEpoch">Steps in an epoch.</param>
/// <param name="GlobalStep">Steps since training began (1 after the first).</param>
/// <param name="Losses">Each unweighted loss term and "total" (weighted).</param>
/// <param name="LearningRate">The learning rate used for the step.</param>
/// <param name="ImagesPerSecond">Throughput of the step, data wait included.</param>
/// <param name="DataWaitFraction">Share of the step spent waiting for the batch (≈ 0 when the pipeline keeps up).</param>
public sealed record TrainingProgress(
    PriorStage Stage,
    int Epoch,
    int Step,
    int StepsPerEpoch,
    long GlobalStep,
    IReadOnlyDictionary<string, double> Losses,
    double LearningRate,
    double ImagesPerSecond,
    double DataWaitFraction
)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"stage {(int)Stage} epoch {Epoch + 1} step {Step + 1}/{StepsPerEpoch}: "
        + string.Join(", ", Losses.Select(kv => $"{kv.Key} {kv.Value:0.0000}"))
        + $", lr {LearningRate:0.00e+0}, {ImagesPerSecond:0.0} img/s, data wait {DataWaitFraction:P0}";
}
