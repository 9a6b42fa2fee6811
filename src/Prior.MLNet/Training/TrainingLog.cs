using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Prior.MLNet.Training;

/// <summary>Sends training progress to ML.NET's log, where <c>mlContext.Log</c> subscribers see it.</summary>
internal static class TrainingLog
{
    /// <summary>
    /// A progress callback that writes each step to a channel named <c>PriorTrainer</c> of <paramref name="mlContext"/>
    /// (Info at epoch ends, Trace for the other steps), optionally also calling <paramref name="next"/>.
    /// </summary>
    public static Action<TrainingProgress> ToMLContext(MLContext mlContext, Action<TrainingProgress>? next = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return ToChannel(mlContext, next);
    }

    /// <summary>The same for any ML.NET environment (what catalogs hold).</summary>
    internal static Action<TrainingProgress> ToChannel(IChannelProvider provider, Action<TrainingProgress>? next)
    {
        var channel = provider.Start("PriorTrainer");
        return progress =>
        {
            if (progress.Step + 1 == progress.StepsPerEpoch)
                channel.Info(MessageSensitivity.None, progress.ToString());
            else
                channel.Trace(MessageSensitivity.None, progress.ToString());
            next?.Invoke(progress);
        };
    }
}
