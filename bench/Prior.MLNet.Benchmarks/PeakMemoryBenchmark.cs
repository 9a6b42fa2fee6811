using Prior.MLNet.Modeling;
using Prior.MLNet.Tool.Commands;
using static TorchSharp.torch;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The peak part of <c>prior bench</c>: the peak resident memory of stage-3 training (every module and loss: the
/// heaviest stage) per preset and batch size — the model, AdamW's two moments, the activations of forward and backward
/// — above the process's memory before the model was built, on the report shapes of the step part.
/// </summary>
internal static class PeakMemoryBenchmark
{
    // The batch sizes measured per preset (8 for any other).
    private static readonly IReadOnlyDictionary<string, int[]> Batches = new Dictionary<string, int[]>
    {
        ["tiny"] = [16, 64],
        ["small"] = [8, 32],
        ["paper"] = [2, 4, 8],
    };

    public static void Run(string presets, Device target, Dictionary<string, object> figures)
    {
        Console.WriteLine(
            $"Peak resident memory of stage-3 training steps (3 steps: the optimiser's state exists from the first), {target.type}, "
                + "above the process's memory before the model is built:"
        );
        Console.WriteLine($"{"preset", -8} {"batch", 5} {"params", 9} {"peak MB", 8} {"MB/sample", 10}");
        var rows = new List<Dictionary<string, object>>();
        foreach (var name in presets.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var options = PriorModelOptions.FromPreset(name);
            double? previous = null;
            int previousBatch = 0;
            foreach (int batch in Batches.TryGetValue(name, out var sizes) ? sizes : [8])
            {
                var memory = PeakMemory.Start();
                StepBenchmark.MedianStep(
                    options,
                    PriorStage.Reconstruction,
                    batch,
                    steps: 1,
                    target,
                    padToMaximum: false,
                    out long parameters
                );
                double peak = memory.AboveStartMb;
                string perSample = previous is { } p ? $"{(peak - p) / (batch - previousBatch), 10:0.0}" : $"{"", 10}";
                Console.WriteLine(
                    $"{name, -8} {batch, 5} {parameters / 1e6, 8:0.0}M {peak, 8:0} {perSample}"
                        + (memory.IsReset ? "" : "  (lifetime peak)")
                );
                rows.Add(
                    new()
                    {
                        ["preset"] = name,
                        ["batch"] = batch,
                        ["peakMb"] = peak,
                    }
                );
                (previous, previousBatch) = (peak, batch);
            }
        }
        Console.WriteLine(
            "  MB/sample: the growth from the batch size before, per added sample (activations); the rest is the model, its gradients "
                + "and AdamW's moments."
        );
        figures["peakMemory"] = rows;
    }
}
