using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Prior.MLNet.IO;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Samples.Commands;

/// <summary>
/// <c>prior bench</c>: the decode part (<see cref="DecodeBenchmark"/>), then one training step (forward, backward, AdamW update) of each preset on the chosen
/// device with random inputs, after warm-up, and prints the median step time and throughput of each, side by side.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var presets = new Option<string>("--presets") { Description = "Comma-separated presets to time.", DefaultValueFactory = _ => "tiny,small,paper" };
        var steps = new Option<int>("--steps") { Description = "Timed steps per preset (after 2 warm-up steps).", DefaultValueFactory = _ => 5 };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "cpu" };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON." };
        var suite = new Option<string>("--suite") { Description = "Comma-separated parts: decode (radiograph JPEGs to network input, against djpeg and NetVips, and from the cache), memory (process memory over training epochs), inference (the image-embedding transformer against a raw forward), onnx (the exported image encoder in ONNX Runtime against TorchSharp), index (PRIOR's pretraining index, studies/s), step (a training step per preset).", DefaultValueFactory = _ => "decode,memory,inference,onnx,index,step" };
        var indexStudies = new Option<int>("--index-studies") { Description = "Synthetic studies the index part writes and indexes.", DefaultValueFactory = _ => 2000 };
        var memoryEpochs = new Option<int>("--memory-epochs") { Description = "Epochs of the memory part (growth is measured from epoch 2 to the last).", DefaultValueFactory = _ => 10 };
        var images = new Option<int>("--images") { Description = "Radiograph-sized JPEGs the decode part writes and reads.", DefaultValueFactory = _ => 24 };
        var work = new Option<string>("--work") { Description = "Folder for the decode part's JPEGs (kept for later runs).", DefaultValueFactory = _ => Path.Combine("out", "bench") };
        var command = new Command("bench", "Measure decoding against libjpeg-turbo's djpeg and a PRIOR training step per preset (example: prior bench --suite decode --json bench.json).")
            { presets, steps, device, json, suite, images, work, memoryEpochs, indexStudies };
        command.SetAction(parse => CommandRunner.Run("bench", () =>
        {
            var target = ComputeDevices.Resolve(ComputeDevices.Parse(parse.GetValue(device)!));
            var figures = new Dictionary<string, object>();
            var parts = parse.GetValue(suite)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            if (parts.Except(["decode", "memory", "inference", "onnx", "index", "step"]).FirstOrDefault() is { } unknown)
                throw new ArgumentException($"--suite: unknown part '{unknown}'; use decode, memory, inference, onnx, index, step.");
            if (parts.Contains("decode"))
                DecodeBenchmark.Run(parse.GetValue(images), Path.GetFullPath(parse.GetValue(work)!), figures);
            if (parts.Contains("memory"))
                MemoryBenchmark.Run(parse.GetValue(memoryEpochs), Path.GetFullPath(parse.GetValue(work)!), figures);
            if (parts.Contains("inference"))
            {
                var (_, vocabulary) = MemoryBenchmark.Data(Path.GetFullPath(parse.GetValue(work)!));
                var images = Directory.EnumerateFiles(Path.GetDirectoryName(vocabulary)!, "*.jpg", SearchOption.AllDirectories)
                    .Order(StringComparer.Ordinal).Take(512).ToList();
                InferenceBenchmark.Run(images, vocabulary, "tiny", 32, figures, "inferenceVsRaw");
                InferenceBenchmark.Run(images, vocabulary, "small", 32, figures, "inferenceVsRawSmall");
            }
            if (parts.Contains("onnx"))
                OnnxBenchmark.Run(MemoryBenchmark.Data(Path.GetFullPath(parse.GetValue(work)!)).Vocabulary, Path.GetFullPath(parse.GetValue(work)!), figures);
            if (parts.Contains("index"))
                IndexBenchmark.Run(parse.GetValue(indexStudies), Path.GetFullPath(parse.GetValue(work)!), figures);
            if (parts.Contains("step"))
                TimeSteps(parse.GetValue(presets)!, parse.GetValue(steps), target, figures);
            if (parse.GetValue(json) is { } path)
                AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(figures)));
            return 0;
        }));
        return command;
    }

    private static void TimeSteps(string presets, int steps, Device target, Dictionary<string, object> figures)
    {
        Console.WriteLine($"PRIOR training step, stage 3 (every loss), random inputs, {target.type}, {Environment.ProcessorCount} cores, {get_num_threads()} torch threads");
        Console.WriteLine($"{"preset",-8} {"batch",5} {"params",10} {"median step",12} {"images/s",9}");
        foreach (var name in presets.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var options = PriorModelOptions.FromPreset(name);
            int batch = name == "paper" ? 2 : 8, vocabulary = name == "paper" ? 28996 : 2000;
            random.manual_seed(1);
            using var model = new PriorModel(options, vocabulary);
            model.to(target).train();
            using var optimizer = optim.AdamW(model.parameters(), 1e-5);
            long parameters = model.parameters().Sum(p => p.numel());
            var times = new List<double>();
            for (int i = 0; i < steps + 2; i++)
            {
                using var guard = TorchGcGuard.Enter();
                using var scope = NewDisposeScope();
                var input = RandomBatch(options, batch, vocabulary, target);
                var clock = Stopwatch.StartNew();
                optimizer.zero_grad();
                model.call(input, PriorStage.Reconstruction).Total.backward();
                optimizer.step();
                if (target.type == DeviceType.CUDA) cuda.synchronize();
                if (i >= 2) times.Add(clock.Elapsed.TotalSeconds);
            }
            times.Sort();
            double median = times[times.Count / 2];
            Console.WriteLine($"{name,-8} {batch,5} {parameters / 1e6,9:0.0}M {median,11:0.000}s {batch / median,9:0.0}");
            figures[$"{name}StepSeconds"] = median;
            figures[$"{name}Batch"] = batch;
        }
    }

    private static PriorBatch RandomBatch(PriorModelOptions options, int batch, int vocabulary, Device device)
    {
        long length = options.MaxTokens, perSentence = (length - 2) / 6;
        var index = full(batch, length, -1L, dtype: ScalarType.Int64);
        for (int s = 0; s < 6; s++)
            index.narrow(1, 1 + s * perSentence, perSentence).fill_(s + 1);
        return new PriorBatch(randn(batch, 1, options.ImageSize, options.ImageSize).to(device),
            randint(5, vocabulary, [batch, length], dtype: ScalarType.Int64).to(device),
            ones(batch, length, dtype: ScalarType.Int64).to(device), index.to(device));
    }
}
