using System.Diagnostics;
using Prior.MLNet.Data;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Samples.Commands;

/// <summary>
/// <c>prior bench --suite step</c>: median training steps (forward, every loss of the stage, backward, AdamW update)
/// on reports shaped like radiology reports, padded the original's way (to the tokenizer's maximum) and ours (to the
/// batch's longest report), in one run; then stage 3 per preset.
/// </summary>
internal static class StepBenchmark
{
    /// <summary>
    /// The original PyTorch PRIOR's median step at the paper preset, batch 4, 2 threads, on this machine class (2-core
    /// CPU), as issue 10 gives them: the original is not runnable here (no PyTorch), so these are quoted, not measured.
    /// </summary>
    public const double OriginalStage1Seconds = 8.4, OriginalStage3Seconds = 12.5;

    public static void Run(string presets, int batch, int steps, Device target, Dictionary<string, object> figures)
    {
        Console.WriteLine($"PRIOR training step, paper preset, batch {batch}, 224 px images, reports of 6-11 sentences of 8-15 tokens, {target.type}, " +
            $"{Environment.ProcessorCount} cores, {get_num_threads()} torch threads; median of {steps} steps after 2 warm-up steps");
        Console.WriteLine($"{"stage",-6} {"padded to 256",14} {"to the longest",15} {"ratio",6} {"original (quoted)",18} {"ours / original",16}");
        foreach (var (stage, key, original) in new[] { (PriorStage.Alignment, "stepStage1Ms", OriginalStage1Seconds), (PriorStage.Reconstruction, "stepStage3Ms", OriginalStage3Seconds) })
        {
            var options = PriorModelOptions.FromPreset("paper");
            double padded = MedianStep(options, stage, batch, steps, target, padToMaximum: true);
            double trimmed = MedianStep(options, stage, batch, steps, target, padToMaximum: false);
            Console.WriteLine($"{(int)stage,-6} {padded,13:0.000}s {trimmed,14:0.000}s {trimmed / padded,6:0.00} {original,17:0.0}s {trimmed / original,16:0.00}");
            figures[key] = trimmed * 1000;
            figures[key.Replace("Ms", "PaddedMs", StringComparison.Ordinal)] = padded * 1000;
            figures[key.Replace("Ms", "VsOriginal", StringComparison.Ordinal)] = trimmed / original;
        }
        Console.WriteLine($"PRIOR training step, stage 3 (every loss), batch {batch} (paper) or 8, the same report shapes, padded to the batch's longest");
        Console.WriteLine($"{"preset",-8} {"batch",5} {"params",10} {"median step",12} {"images/s",9}");
        foreach (var name in presets.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var options = PriorModelOptions.FromPreset(name);
            int size = name == "paper" ? batch : 8;
            double median = MedianStep(options, PriorStage.Reconstruction, size, steps, target, padToMaximum: false, out long parameters);
            Console.WriteLine($"{name,-8} {size,5} {parameters / 1e6,9:0.0}M {median,11:0.000}s {size / median,9:0.0}");
            figures[$"{name}StepSeconds"] = median;
            figures[$"{name}Batch"] = size;
        }
    }

    private static double MedianStep(PriorModelOptions options, PriorStage stage, int batch, int steps, Device target, bool padToMaximum) =>
        MedianStep(options, stage, batch, steps, target, padToMaximum, out _);

    private static double MedianStep(PriorModelOptions options, PriorStage stage, int batch, int steps, Device target, bool padToMaximum, out long parameters)
    {
        // Bio_ClinicalBERT's vocabulary for the paper preset (its BERT is that size), a demo-sized one otherwise.
        int vocabulary = options.Text.HiddenSize >= 768 ? 28996 : 2000;
        random.manual_seed(1);
        using var model = new PriorModel(options, vocabulary);
        model.to(target).train();
        using var optimizer = optim.AdamW(model.parameters(), 1e-5);
        parameters = model.parameters().Sum(p => p.numel());
        var reports = new DeterministicRandom(7);
        var times = new List<double>();
        for (int i = 0; i < steps + 2; i++)
        {
            using var guard = TorchGcGuard.Enter();
            using var scope = NewDisposeScope();
            var input = ReportShapedBatch(options, batch, vocabulary, padToMaximum, reports, target);
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            var losses = model.call(input, stage);
            losses.Total.backward();
            optimizer.step();
            // What the trainer reads back each step: every term in one transfer.
            _ = stack(losses.Terms.Values.Select(v => v.detach().reshape(1)).ToArray()).cpu();
            if (target.type == DeviceType.CUDA) cuda.synchronize();
            if (i >= 2) times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    // CLS, 6–11 sentences of 8–15 random word ids each (sentence index 1..T), SEP; padded to MaxTokens as the original
    // does, or to the batch's longest report as our loader does.
    private static PriorBatch ReportShapedBatch(PriorModelOptions options, int batch, int vocabulary, bool padToMaximum, DeterministicRandom random, Device device)
    {
        var rows = new List<(long Id, long Index)[]>();
        for (int b = 0; b < batch; b++)
        {
            var row = new List<(long, long)> { (2, -1) };
            int sentences = 6 + random.Next(6);
            for (int s = 1; s <= sentences && row.Count < options.MaxTokens - 1; s++)
                for (int t = 0, tokens = 8 + random.Next(8); t < tokens && row.Count < options.MaxTokens - 1; t++)
                    row.Add((5 + random.Next(vocabulary - 5), s));
            row.Add((3, -1));
            rows.Add(row.ToArray());
        }
        int length = padToMaximum ? options.MaxTokens : rows.Max(r => r.Length);
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        var index = new long[batch * length];
        Array.Fill(index, -1);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < rows[b].Length; t++)
                (ids[b * length + t], mask[b * length + t], index[b * length + t]) = (rows[b][t].Id, 1, rows[b][t].Index);
        return new PriorBatch(randn(batch, 1, options.ImageSize, options.ImageSize).to(device),
            tensor(ids, [batch, length]).to(device), tensor(mask, [batch, length]).to(device), tensor(index, [batch, length]).to(device));
    }
}
