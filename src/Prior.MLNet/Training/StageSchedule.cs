namespace Prior.MLNet.Training;

/// <summary>How the learning rate moves across PRIOR's three stages.</summary>
internal enum StageSchedule
{
    /// <summary>
    /// The original's: each stage has its own warm-up from <see cref="PriorTrainerOptions.StartLearningRates"/> to
    /// <see cref="PriorTrainerOptions.PeakLearningRates"/> and its own cosine decay to 0, so the learning rate climbs
    /// again at the start of stages 2 and 3 after stage 1 has annealed to 0.
    /// </summary>
    PerStage,

    /// <summary>
    /// One warm-up and one cosine decay over all stages' epochs together, with stage 1's start, peak and warm-up:
    /// stages 2–3 take the annealing tail of the run instead of climbing back to a stage peak. The optimizer's
    /// moments still restart at each stage, as in <see cref="PerStage"/>.
    /// </summary>
    Continuous,
}
