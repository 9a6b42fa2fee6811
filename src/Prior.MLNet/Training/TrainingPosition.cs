namespace Prior.MLNet.Training;

/// <summary>Where training stands: the next step to run (stage index 0–2, epoch, batch) and the steps done so far.</summary>
/// <param name="StageIndex">0, 1 or 2.</param>
/// <param name="Epoch">Epoch within the stage.</param>
/// <param name="Batch">Batch within the epoch.</param>
/// <param name="GlobalStep">Steps completed.</param>
internal sealed record TrainingPosition(int StageIndex, int Epoch, int Batch, long GlobalStep)
{
    /// <summary>In stages 2–3, how often each prototype was chosen so far in the epoch (null elsewhere).</summary>
    public IReadOnlyList<long>? BankUsage { get; init; }
}
