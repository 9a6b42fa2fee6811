using Prior.MLNet.Data.Images;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The pipeline part of <c>prior bench</c>: the trainer's steady-state step time (stage 1, after the first epoch) fed by
/// the real input pipeline — studies from <c>LoadMimicCxr</c>'s <c>IDataView</c>, JPEG decoding, augmentation,
/// tokenisation and collation on background workers beside the steps — against the same trainer on the same batches
/// built before each epoch began (<c>PrebuildBatches</c>), so that nothing of the pipeline runs during the steps.
/// The ratio is what the pipeline costs the steps; 1 means nothing.
/// </summary>
internal static class PipelineBenchmark
{
    public static void Run(string folder, Dictionary<string, object> figures)
    {
        // 128 px JPEGs: the small preset's input size, halved for the tiny one (real radiographs are larger than
        // either network's input: decoded at a reduced scale, then shrunk; never enlarged).
        var (studies, vocabulary) = MemoryBenchmark.Data(folder, imageSize: 128);
        Console.WriteLine(
            $"Input pipeline: median step time of stage-1 training from the second epoch on, {studies.Count} synthetic studies (128 px "
                + $"JPEGs), CPU, "
                + $"{Environment.ProcessorCount} cores shared by the pipeline's workers and torch; batches built beside the steps "
                + $"against the same batches built "
                + "before each epoch; three alternating runs each, the best median of each; and the pipeline's own work per batch on one "
                + "core, against the prebuilt step:"
        );
        Console.WriteLine(
            $"{"preset", -8} {"batch", 5} {"epochs", 6} {"prebuilt s", 11} {"pipeline s", 11} {"pipelineOverhead", 17} "
                + $"{"batch work, 1 core", 19}"
        );
        foreach (var (preset, epochs) in new[] { ("tiny", 4), ("small", 2) })
        {
            var defaults = PriorTrainerOptions.ForPreset(preset);
            double prebuilt = double.MaxValue,
                streamed = double.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                streamed = Math.Min(streamed, MedianStep(defaults, epochs, prebuild: false, studies, vocabulary));
                prebuilt = Math.Min(prebuilt, MedianStep(defaults, epochs, prebuild: true, studies, vocabulary));
            }
            double ratio = streamed / prebuilt;
            double work = BatchWork(defaults, studies, vocabulary);
            Console.WriteLine(
                $"{preset, -8} {defaults.BatchSize, 5} {epochs, 6} {prebuilt, 11:0.0000} {streamed, 11:0.0000} {ratio, 17:0.000} "
                    + $"{work * 1000, 9:0.0} ms ({work / prebuilt, 4:0%})"
            );
            figures[preset == "tiny" ? "pipelineOverhead" : "pipelineOverheadSmall"] = ratio;
        }
    }

    // The pipeline's own work per batch on one worker (decode, augment, tokenise, collate), median over an epoch: what
    // the steps share the cores with.
    private static double BatchWork(PriorTrainerOptions defaults, IReadOnlyList<TrainingStudy> studies, string vocabulary)
    {
        var loader = new BatchLoader(
            studies,
            new ReportTokenizer(vocabulary, defaults.Model.MaxTokens),
            new ImagePreprocessor(defaults.Model.ImageSize),
            defaults.BatchSize,
            seed: 1,
            workers: 1,
            prefetch: 1
        );
        var order = Enumerable.Range(0, studies.Count).ToArray();
        var times = new List<double>();
        for (int b = 0; b < loader.BatchesPerEpoch; b++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            loader.Build(order.AsSpan(b * loader.BatchSize, loader.BatchSize).ToArray(), epochKey: 1);
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static double MedianStep(
        PriorTrainerOptions defaults,
        int epochs,
        bool prebuild,
        IReadOnlyList<TrainingStudy> studies,
        string vocabulary
    )
    {
        var seconds = new List<double>();
        // Each step's time, waiting for its batch included: the trainer's throughput is per step, of its batch.
        MemoryBenchmark.TrainStage1(
            studies,
            vocabulary,
            defaults,
            epochs,
            p =>
            {
                if (p.Epoch >= 1)
                    seconds.Add(defaults.BatchSize / p.ImagesPerSecond);
            },
            prebuildBatches: prebuild
        );
        seconds.Sort();
        return seconds[seconds.Count / 2];
    }
}
