using System.Diagnostics;
using Prior.MLNet.Data;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Benchmarks;

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
    public const double OriginalStage1Seconds = 8.4,
        OriginalStage3Seconds = 12.5;

    public static void Run(string presets, int batch, int steps, Device target, Dictionary<string, object> figures)
    {
        Console.WriteLine(
            $"PRIOR training step, paper preset, batch {batch}, 224 px images, reports of 6-11 sentences of 8-15 tokens, {target.type}, "
                + $"{Environment.ProcessorCount} cores, {get_num_threads()} torch threads; median of {steps} steps after 2 warm-up steps"
        );
        Console.WriteLine(
            $"{"stage", -6} {"padded to 256", 14} {"to the longest", 15} {"ratio", 6} {"original (quoted)", 18} {"ours / original", 16}"
        );
        foreach (
            var (stage, key, original) in new[]
            {
                (PriorStage.Alignment, "stepStage1Ms", OriginalStage1Seconds),
                (PriorStage.Reconstruction, "stepStage3Ms", OriginalStage3Seconds),
            }
        )
        {
            var options = PriorModelOptions.FromPreset("paper");
            double padded = MedianStep(options, stage, batch, steps, target, padToMaximum: true);
            double trimmed = MedianStep(options, stage, batch, steps, target, padToMaximum: false);
            Console.WriteLine(
                $"{(int)stage, -6} {padded, 13:0.000}s {trimmed, 14:0.000}s {trimmed / padded, 6:0.00} {original, 17:0.0}s "
                    + $"{trimmed / original, 16:0.00}"
            );
            figures[key] = trimmed * 1000;
            figures[key.Replace("Ms", "PaddedMs", StringComparison.Ordinal)] = padded * 1000;
            figures[key.Replace("Ms", "VsOriginal", StringComparison.Ordinal)] = trimmed / original;
        }
        ModuleBreakdown(batch, target, figures);
        Console.WriteLine(
            $"PRIOR training step, stage 3 (every loss), batch {batch} (paper) or 8, the same report shapes, padded to the batch's longest"
        );
        Console.WriteLine($"{"preset", -8} {"batch", 5} {"params", 10} {"median step", 12} {"images/s", 9}");
        foreach (var name in presets.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var options = PriorModelOptions.FromPreset(name);
            int size = name == "paper" ? batch : 8;
            double median = MedianStep(options, PriorStage.Reconstruction, size, steps, target, padToMaximum: false, out long parameters);
            Console.WriteLine($"{name, -8} {size, 5} {parameters / 1e6, 9:0.0}M {median, 11:0.000}s {size / median, 9:0.0}");
            figures[$"{name}StepSeconds"] = median;
            figures[$"{name}Batch"] = size;
        }
    }

    // Where a stage-3 step's time goes at the paper preset: each big module's forward + backward alone, on the step's
    // shapes, and the image decoder's arithmetic rate against libtorch's matrix multiply (the decoder's convolutions
    // keep a constant 3.1 G multiply-adds per block and image: the channels halve as the side doubles).
    private static void ModuleBreakdown(int batch, Device target, Dictionary<string, object> figures)
    {
        var options = PriorModelOptions.FromPreset("paper");
        random.manual_seed(1);
        using var model = new PriorModel(options, 28996);
        model.to(target).train();
        var reports = new DeterministicRandom(7);
        long side = options.ImageSize / 32;
        double Time(Func<Tensor> run)
        {
            var times = new List<double>();
            for (int i = 0; i < 4; i++)
            {
                using var guard = TorchGcGuard.Enter();
                using var scope = NewDisposeScope();
                model.zero_grad();
                var clock = Stopwatch.StartNew();
                run().backward();
                if (target.type == DeviceType.CUDA)
                    cuda.synchronize();
                if (i >= 1)
                    times.Add(clock.Elapsed.TotalSeconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        var parts = new (string Name, double Seconds)[]
        {
            (
                "image encoder (ResNet-50, attention pooling, projections)",
                Time(() =>
                {
                    var (global, local) = model.EncodeImage(randn(batch, 1, options.ImageSize, options.ImageSize, device: target));
                    return global.sum() + local.sum();
                })
            ),
            (
                "text encoder (BERT-base, sentence pooling)",
                Time(() =>
                {
                    var input = ReportShapedBatch(options, batch, 28996, padToMaximum: false, reports, target);
                    return model.EncodeSentences(input.InputIds, input.AttentionMask, input.SentenceIndex).Sentences.sum();
                })
            ),
            (
                "image decoder (5 upsampling blocks, 1536 channels in)",
                Time(() =>
                    model
                        .image_decoder.call(randn([batch, 2L * options.EmbeddingDim, side, side], device: target, requires_grad: true))
                        .sum()
                )
            ),
            (
                "prototype decoder (BERT decoder over 16 queries)",
                Time(() =>
                    model
                        .sentence_decoder.Decode(
                            model.prototype_queries.expand(batch, -1, -1),
                            randn([batch, side * side, options.EmbeddingDim], device: target),
                            options.DecoderCausalMask
                        )
                        .sum()
                )
            ),
        };
        // Forward multiply-adds of the decoder: per block k at side s·2^(k+1), conv1 C_k→C_k/2 and conv2 C_k/2→C_k/2, 3×3.
        double macs = 0;
        long channels = 2L * options.EmbeddingDim,
            size = side;
        foreach (var _ in model.image_decoder.blocks)
        {
            size *= 2;
            macs += size * size * 9.0 * (channels * (channels / 2) + (channels / 2) * (channels / 2));
            channels /= 2;
        }
        macs += size * size * 9.0 * channels; // the output head
        double decoderFlops = 3 * 2 * macs * batch; // forward, input gradients and weight gradients
        double matmul = ComputeBenchmark.MatmulRate(target);
        Console.WriteLine(
            $"Stage 3 by module, paper preset, batch {batch}: forward + backward of each alone (median of 3 after a warm-up)"
        );
        foreach (var (name, seconds) in parts)
            Console.WriteLine($"  {name, -58} {seconds, 7:0.000}s");
        double decoderSeconds = parts[2].Seconds;
        Console.WriteLine(
            $"  image decoder: {decoderFlops / 1e9:0} GFLOP, {decoderFlops / decoderSeconds / 1e9:0.0} GFLOP/s against libtorch's matrix "
                + $"multiply at {matmul / 1e9:0.0} GFLOP/s: {decoderFlops / decoderSeconds / matmul:0.00}"
        );
        figures["stage3ImageDecoderSeconds"] = decoderSeconds;
        figures["stage3ImageDecoderVsMatmul"] = decoderFlops / decoderSeconds / matmul;
    }

    private static double MedianStep(PriorModelOptions options, PriorStage stage, int batch, int steps, Device target, bool padToMaximum) =>
        MedianStep(options, stage, batch, steps, target, padToMaximum, out _);

    internal static double MedianStep(
        PriorModelOptions options,
        PriorStage stage,
        int batch,
        int steps,
        Device target,
        bool padToMaximum,
        out long parameters
    )
    {
        // Bio_ClinicalBERT's vocabulary for the paper preset (its BERT is that size), a demo-sized one otherwise.
        int vocabulary = options.Text.HiddenSize >= 768 ? 28996 : 2000;
        random.manual_seed(1);
        using var model = new PriorModel(options, vocabulary);
        model.to(target).train();
        using var optimizer = new Training.AdamW(model.parameters(), 1e-5); // what the trainer uses
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
            _ = losses.ReadValues(); // what the trainer reads back each step
            if (target.type == DeviceType.CUDA)
                cuda.synchronize();
            if (i >= 2)
                times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    // Reports as the tokenizer writes them (CLS, 6–11 sentences of 8–15 random word ids with sentence indices 1..T,
    // SEP, padding to MaxTokens), laid out by the trainer's own collation: padded to MaxTokens as the original does,
    // or to the batch's longest report as our loader does.
    private static PriorBatch ReportShapedBatch(
        PriorModelOptions options,
        int batch,
        int vocabulary,
        bool padToMaximum,
        DeterministicRandom random,
        Device device
    )
    {
        var reports = new List<TokenizedReport>();
        for (int b = 0; b < batch; b++)
        {
            var ids = new long[options.MaxTokens];
            var mask = new long[options.MaxTokens];
            var index = new long[options.MaxTokens];
            Array.Fill(index, -1);
            (ids[0], mask[0]) = (2, 1);
            int position = 1,
                sentences = 6 + random.Next(6),
                room = options.MaxTokens - 1;
            for (int s = 1; s <= sentences && position < room; s++)
            for (int t = 0, tokens = 8 + random.Next(8); t < tokens && position < room; t++, position++)
                (ids[position], mask[position], index[position]) = (5 + random.Next(vocabulary - 5), 1, s);
            (ids[position], mask[position]) = (3, 1);
            reports.Add(new TokenizedReport(ids, mask, index, sentences));
        }
        var (inputIds, attention, sentenceIndex, length) = ReportBatch.Collate(reports, padToMaximum ? options.MaxTokens : null);
        return new PriorBatch(
            randn(batch, 1, options.ImageSize, options.ImageSize).to(device),
            tensor(inputIds, [batch, length]).to(device),
            tensor(attention, [batch, length]).to(device),
            tensor(sentenceIndex, [batch, length]).to(device)
        );
    }
}
