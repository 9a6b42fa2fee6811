using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior cache</c>: decodes every frontal image of a MIMIC-CXR install once, shrunk to a side, into
/// <c>prior-image-cache-{side}.bin</c> in the dataset root (<see cref="ImageCache"/>), which <c>prior pretrain</c>
/// then reads instead of the JPEGs.
/// </summary>
internal static class CacheCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "Root holding mimic-cxr-jpg/2.0.0/ and mimic-cxr-reports/ (or a pretraining index).",
            Required = true,
        };
        var size = new Option<int>("--size")
        {
            Description = "Side of the stored images (at least the network's image size: 224 for the paper preset).",
            DefaultValueFactory = _ => 256,
        };
        var output = new Option<string?>("--out")
        {
            Description =
                "Cache file; default prior-image-cache-{size}.bin in --data (it must be a folder above every image), or "
                + "prior-image-cache-{size}.K-of-N.bin with --shard.",
        };
        var shardOption = Shard.CreateOption();
        var command = new Command(
            "cache",
            "Decode every frontal image once into a memory-mapped cache that pretraining reads (example: prior cache --data mimic --size "
                + "256)."
        )
        {
            data,
            size,
            output,
            shardOption,
        };
        command.SetAction(parse => CommandRunner.Run("cache", () =>
            {
                var root = parse.GetValue(data)!;
                int side = parse.GetValue(size);
                var found = MimicCxrLoaderOptions.FromRoot(root);
                var view = new MLContext(seed: 1).Data.LoadMimicCxr(found, out var summary); // every split
                var studies = TrainingStudies.FromDataView(
                    view,
                    MimicCxrColumns.ImagePaths,
                    MimicCxrColumns.Sentences,
                    new DataLoadSummary(),
                    MimicCxrColumns.StudyId
                );
                var paths = studies.SelectMany(s => s.ImagePaths).Distinct(StringComparer.Ordinal).ToList();
                if (paths.Count == 0)
                    throw new InvalidDataException($"no study is usable, so there is no image to cache ({summary})");
                // A shard loads the whole list (from an index: seconds) for the images' order, and decodes only its part.
                var shard = Shard.Parse(parse.GetValue(shardOption));
                var mine = shard?.Select(paths) ?? Enumerable.Range(0, paths.Count).ToList();
                var target = parse.GetValue(output)
                    ?? Path.Combine(
                        Directory.Exists(root) ? root : Path.GetDirectoryName(Path.GetFullPath(root))!,
                        shard is null
                            ? ImageCache.FileName(side)
                            : Path.ChangeExtension(ImageCache.FileName(side), $"{shard.Index}-of-{shard.Count}.bin")
                    );
                Console.WriteLine(
                    $"caching {mine.Count} frontal images of {studies.Count} studies at {side} × {side} (data: {summary})"
                        + (shard is null ? "" : $" (shard {shard.Index} of {shard.Count}: {mine.Count} of {paths.Count} images)")
                );
                var clock = Stopwatch.StartNew();
                var failures = LiveProgress.Run("cache", "images", mine.Count, live =>
                    ImageCache.Build(mine.Select(i => paths[i]).ToList(), side, target, new Progress(done => live.Report(done)))
                );
                shard?.WriteSidecar(target, "cache", paths, headerLines: 0, mine);
                Console.WriteLine(
                    $"written {Path.GetFullPath(target)}: {mine.Count - failures.Count} images, {new FileInfo(target).Length / 1e6:0.0} "
                        + $"MB, "
                        + $"{mine.Count / clock.Elapsed.TotalSeconds:0} images/s on {Environment.ProcessorCount} cores"
                );
                foreach (var failure in failures.Take(20))
                    Console.WriteLine($"  not cached: {failure}");
                if (failures.Count > 20)
                    Console.WriteLine(
                        $"  … {failures.Count - 20} more not cached (pretraining decodes or skips them as it would without a cache)"
                    );
                return 0;
            }));
        return command;
    }

    // Reports on the caller's thread (System.Progress posts to the thread pool, out of order).
    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
