namespace Prior.MLNet.Training;

/// <summary>Thrown when a loss becomes NaN or infinite; the step is not applied and earlier checkpoints stay intact.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message)
        : base(message) { }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException() { }

    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, Exception inner)
        : base(message, inner) { }
}
