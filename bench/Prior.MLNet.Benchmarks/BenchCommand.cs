using System.CommandLine;
using System.Text.Json;
using Prior.MLNet.IO;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// <c>prior-bench</c>: the parts of the performance suite (decode, memory, inference, onnx, index, step, compute, peak,
/// pipeline), each in its own class, each printing what it compares; <c>--json</c> collects their figures.
/// </summary>
internal static class BenchCommand
{
    public static RootCommand Create()
    {
        var presets = new Option<string>("--presets")
        {
            Description = "Comma-separated presets to time.",
            DefaultValueFactory = _ => "tiny,small,paper",
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Timed steps per preset (after 2 warm-up steps).",
            DefaultValueFactory = _ => 5,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Batch size of the step part's paper-preset steps (the original PRIOR was timed at 4).",
            DefaultValueFactory = _ => 4,
        };
        var device = EnumOption.Create("--device", "Where the network runs", ComputeDevice.Cpu, ("gpu", ComputeDevice.Cuda));
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON." };
        var suite = new Option<string>("--suite")
        {
            Description =
                "Comma-separated parts: decode (radiograph JPEGs to network input, against djpeg and NetVips, and from the cache; small "
                + "JPEGs read whole, our decoder against SkiaSharp), memory (process memory over training epochs), inference (the "
                + "image-embedding transformer against a raw forward), onnx (the exported image encoder in ONNX Runtime against "
                + "TorchSharp), index (PRIOR's pretraining index, studies/s), step (stage 1 and 3 training steps at the paper preset, "
                + "padded to 256 and to the batch's longest report, against the original's quoted times; then stage 3 per preset), "
                + "compute (the ResNet's forward + backward GFLOP/s against libtorch's matrix multiply), peak (peak memory of stage-3 "
                + "training per preset and batch), pipeline (training steps fed by the real input pipeline against the same batches "
                + "built beforehand), serve (prior serve's image embeddings under 1, 8 and 64 concurrent clients against the raw "
                + "batched forward, then an overload; not in the default set: run it on its own), bombs (prior serve under 64 "
                + "clients sending decompression bombs and lying headers: answers, resident memory against its bound, /healthz; not "
                + "in the default set either).",
            DefaultValueFactory = _ => "decode,memory,inference,onnx,index,step,compute,peak,pipeline",
        };
        var indexStudies = new Option<string>("--index-studies")
        {
            Description =
                "Comma-separated sizes (studies) of the synthetic installs the index part writes, indexes and loads back; two or more "
                + "show how time and memory scale.",
            DefaultValueFactory = _ => "10000,100000",
        };
        var memoryEpochs = new Option<int>("--memory-epochs")
        {
            Description = "Epochs of the memory part (growth is measured from epoch 2 to the last).",
            DefaultValueFactory = _ => 10,
        };
        var images = new Option<int>("--images")
        {
            Description = "Radiograph-sized JPEGs the decode part writes and reads.",
            DefaultValueFactory = _ => 24,
        };
        var work = new Option<string>("--work")
        {
            Description = "Folder for the decode part's JPEGs (kept for later runs).",
            DefaultValueFactory = _ => Path.Combine("out", "bench"),
        };
        var overload = new Option<int>("--overload-seconds")
        {
            Description = "How long the serve part's overload runs (issue 30 asks for 600).",
            DefaultValueFactory = _ => 60,
        };
        var bombSeconds = new Option<int>("--bomb-seconds")
        {
            Description = "How long the bombs part's clients send.",
            DefaultValueFactory = _ => 60,
        };
        var servePreset = new Option<string>("--serve-preset")
        {
            Description = "The preset the serve part serves.",
            DefaultValueFactory = _ => "small",
        };
        var command = new RootCommand(
            "prior-bench: measure decoding against libjpeg-turbo's djpeg and a PRIOR training step per preset (example: prior-bench "
                + "--suite decode --json bench.json)."
        )
        {
            presets,
            steps,
            batch,
            device,
            json,
            suite,
            images,
            work,
            memoryEpochs,
            indexStudies,
            overload,
            bombSeconds,
            servePreset,
        };
        command.SetAction(parse =>
            CommandRunner.Run(
                "bench",
                () =>
                {
                    var target = ComputeDevices.Resolve(parse.GetValue(device));
                    var figures = new Dictionary<string, object>();
                    var parts = parse
                        .GetValue(suite)!
                        .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                        .ToHashSet();
                    if (
                        parts
                            .Except([
                                "decode",
                                "memory",
                                "inference",
                                "onnx",
                                "index",
                                "step",
                                "compute",
                                "peak",
                                "pipeline",
                                "serve",
                                "bombs",
                            ])
                            .FirstOrDefault() is
                        { } unknown
                    )
                        throw new ArgumentException(
                            $"--suite: unknown part '{unknown}'; use decode, memory, inference, onnx, index, step, compute, peak, "
                                + "pipeline, serve, bombs."
                        );
                    if (parts.Contains("decode"))
                        DecodeBenchmark.Run(parse.GetValue(images), Path.GetFullPath(parse.GetValue(work)!), figures);
                    if (parts.Contains("memory"))
                        MemoryBenchmark.Run(parse.GetValue(memoryEpochs), Path.GetFullPath(parse.GetValue(work)!), figures);
                    if (parts.Contains("inference"))
                    {
                        // Each preset on JPEGs of its own input size (64 and 128 px), read whole: real radiographs are larger than
                        // the input and shrunk, never enlarged.
                        foreach (
                            var (preset, imageSize, key) in new[] { ("tiny", 64, "inferenceVsRaw"), ("small", 128, "inferenceVsRawSmall") }
                        )
                        {
                            var (_, vocabulary) = MemoryBenchmark.Data(Path.GetFullPath(parse.GetValue(work)!), imageSize);
                            var images = Directory
                                .EnumerateFiles(Path.GetDirectoryName(vocabulary)!, "*.jpg", SearchOption.AllDirectories)
                                .Order(StringComparer.Ordinal)
                                .Take(512)
                                .ToList();
                            InferenceBenchmark.Run(images, vocabulary, preset, 32, figures, key);
                        }
                    }
                    if (parts.Contains("onnx"))
                        OnnxBenchmark.Run(
                            MemoryBenchmark.Data(Path.GetFullPath(parse.GetValue(work)!)).Vocabulary,
                            Path.GetFullPath(parse.GetValue(work)!),
                            figures
                        );
                    if (parts.Contains("index"))
                        IndexBenchmark.Run(ParseSizes(parse.GetValue(indexStudies)!), Path.GetFullPath(parse.GetValue(work)!), figures);
                    if (parts.Contains("step"))
                        StepBenchmark.Run(parse.GetValue(presets)!, parse.GetValue(batch), parse.GetValue(steps), target, figures);
                    if (parts.Contains("compute"))
                        ComputeBenchmark.Run(parse.GetValue(presets)!, parse.GetValue(batch), target, figures);
                    if (parts.Contains("pipeline"))
                        PipelineBenchmark.Run(Path.GetFullPath(parse.GetValue(work)!), figures);
                    if (parts.Contains("serve"))
                        ServeBenchmark.Run(
                            Path.GetFullPath(parse.GetValue(work)!),
                            parse.GetValue(servePreset)!,
                            parse.GetValue(overload),
                            figures
                        );
                    if (parts.Contains("bombs"))
                        BombBenchmark.Run(
                            Path.GetFullPath(parse.GetValue(work)!),
                            parse.GetValue(servePreset)!,
                            parse.GetValue(bombSeconds),
                            figures
                        );
                    if (parts.Contains("peak"))
                        PeakMemoryBenchmark.Run(parse.GetValue(presets)!, target, figures);
                    if (parse.GetValue(json) is { } path)
                        AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(figures)));
                    return 0;
                },
                program: "prior-bench"
            )
        );
        return command;
    }

    private static List<int> ParseSizes(string text)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, out int size) || size < 10)
                throw new ArgumentException($"--index-studies: '{part}' is not a number of studies (at least 10).");
            sizes.Add(size);
        }
        return sizes.Count > 0 ? sizes : throw new ArgumentException("--index-studies: give at least one size.");
    }
}
