using Prior.MLNet.Data;
using Prior.MLNet.Trainers;
using Prior.MLNet.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Downstream;

/// <summary>
/// The training loop the downstream tasks share: the pretrained part (the ResNet tower) frozen or trained at its own
/// learning rate, the new part (head or decoder) at its own, AdamW for each (two optimizers are two parameter groups:
/// AdamW's state and update are per parameter), a seeded batch order, every step in a dispose scope and a
/// <see cref="TorchGcGuard"/> (without it, a 2,000-step run died in libtorch's "Expected false to be true … Scalar.h").
/// <para>
/// A step whose loss or gradients are not all finite is skipped (as mixed-precision training skips overflowed steps)
/// and counted in the epoch's log line, so that one bad step does not turn every weight below it into NaN. The NaN
/// that led to this rule came from libtorch's CPU convolutions at channel counts that are not whole SIMD blocks (the
/// detector's six-channel head); <see cref="Modeling.AlignedConv2d"/> removes that cause (docs/troubleshooting.md),
/// and the rule stays as a safety net. More than half of an epoch's steps skipped is an error: then the cause is the
/// data or the settings, not a rare fault.
/// </para>
/// </summary>
internal static class FineTuningLoop
{
    /// <summary>True when every gradient of <paramref name="network"/> is finite (one host synchronisation).</summary>
    internal static bool GradientsFinite(nn.Module network)
    {
        using var scope = NewDisposeScope();
        var grads = network.parameters().Where(p => p.grad is not null).Select(p => p.grad!.isfinite().all()).ToArray();
        return grads.Length == 0 || stack(grads).all().item<bool>();
    }

    /// <param name="network">The whole network (train mode per epoch; with a frozen tower, <paramref name="tower"/> stays in eval mode so
    /// its BatchNorm statistics stay too).</param>
    /// <param name="tower">The module holding the pretrained parameters.</param>
    /// <param name="towerParameters">Its parameters to train or freeze.</param>
    /// <param name="newParameters">The new part's parameters.</param>
    /// <param name="examples">How many training examples there are.</param>
    /// <param name="options">Epochs, batch size, learning rates, freezing, seed.</param>
    /// <param name="loss">The loss of a batch of example indices (inside the step's dispose scope); the random source is for
    /// augmentation.</param>
    /// <param name="log">One line per epoch, or null.</param>
    /// <param name="name">What the log lines call the task.</param>
    /// <returns>How many steps were skipped for a loss or gradient that is not finite.</returns>
    public static int Train(
        nn.Module network,
        nn.Module tower,
        IReadOnlyList<Parameter> towerParameters,
        IEnumerable<Parameter> newParameters,
        int examples,
        FineTuningOptions options,
        Func<IReadOnlyList<int>, DeterministicRandom, Tensor> loss,
        Action<string>? log,
        string name
    )
    {
        foreach (var p in towerParameters)
            p.requires_grad = !options.FreezeEncoder;
        using var newOptimizer = new Training.AdamW(newParameters, options.HeadLearningRate);
        using var towerOptimizer = options.FreezeEncoder ? null : new Training.AdamW(towerParameters, options.TowerLearningRate);
        var order = Enumerable.Range(0, examples).ToArray();
        var random = new DeterministicRandom((ulong)options.SeedOrDefault * 0x9E3779B97F4A7C15UL + 1);
        int skippedTotal = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            network.train();
            if (options.FreezeEncoder)
                tower.eval();
            random.Shuffle(order);
            double total = 0;
            int steps = 0,
                skipped = 0;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                if (options.StopRequested?.Invoke() == true)
                    throw new OperationCanceledException(
                        $"{name}: training was cancelled (MLContext.CancelExecution) in epoch {epoch + 1}/{options.Epochs}."
                    );
                using var guard = TorchGcGuard.Enter(); // no collection mid-step (TorchSharp's implicit scalars; see TorchGcGuard)
                using var scope = NewDisposeScope();
                var value = loss(order.Skip(start).Take(options.BatchSize).ToList(), random);
                newOptimizer.zero_grad();
                towerOptimizer?.zero_grad();
                value.backward();
                float lossValue = value.item<float>();
                if (!float.IsFinite(lossValue) || !GradientsFinite(network))
                {
                    skipped++;
                    continue;
                }
                newOptimizer.step();
                towerOptimizer?.step();
                total += lossValue;
                steps++;
            }
            if (skipped > steps)
                throw new InvalidOperationException(
                    $"{name} epoch {epoch + 1}: {skipped} of {steps + skipped} steps had a loss or gradient that is not finite; check "
                        + $"the data and the learning rates."
                );
            log?.Invoke(
                $"{name} epoch {epoch + 1}/{options.Epochs}: loss {total / Math.Max(1, steps):0.0000}"
                    + (skipped > 0 ? $" ({skipped} step{(skipped == 1 ? "" : "s")} skipped: gradient not finite)" : "")
            );
            skippedTotal += skipped;
        }
        return skippedTotal;
    }
}
