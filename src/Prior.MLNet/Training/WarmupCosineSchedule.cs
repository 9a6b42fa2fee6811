namespace Prior.MLNet.Training;

/// <summary>
/// PRIOR's per-step learning rate inside a stage: linear warm-up from <see cref="Start"/> to <see cref="Peak"/> over
/// <see cref="WarmupSteps"/>, then cosine decay from the peak to 0 at <see cref="TotalSteps"/>.
/// </summary>
/// <param name="Start">Learning rate at step 0 (1e-7 in stages 1–2, 1e-8 in stage 3).</param>
/// <param name="Peak">Learning rate at the end of warm-up (1e-5, 1e-5, 5e-6).</param>
/// <param name="WarmupSteps">Warm-up length in steps (one epoch, one epoch, five epochs).</param>
/// <param name="TotalSteps">The stage's length in steps.</param>
internal sealed record WarmupCosineSchedule(double Start, double Peak, int WarmupSteps, int TotalSteps)
{
    /// <summary>The learning rate for step <paramref name="step"/> (0-based) of the stage.</summary>
    public double At(int step)
    {
        if (step < WarmupSteps)
            return Start + (Peak - Start) * step / Math.Max(1, WarmupSteps);
        int decay = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / decay);
        return 0.5 * Peak * (1 + Math.Cos(Math.PI * progress));
    }
}
