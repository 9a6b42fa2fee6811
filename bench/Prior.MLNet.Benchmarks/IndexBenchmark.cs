using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Synthetic;
using Prior.MLNet.Tool.Commands;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The index part of <c>prior bench</c>, at each size asked for: PRIOR's build step (<see cref="MimicCxrIndex.Write"/>:
/// metadata, split and label tables read, every report parsed and split into sentences, every frontal image checked on
/// disk) over a synthetic MIMIC-CXR install, then <c>LoadMimicCxr</c> from that index with one cursor reading every
/// row's paths, sentences and labels. Each in studies per second and peak memory above the process's start, so sizes
/// side by side show whether time is linear and memory flat; and what the rate means for MIMIC-CXR's 227,835 studies.
/// </summary>
internal static class IndexBenchmark
{
    private const int MimicStudies = 227_835;

    public static void Run(IReadOnlyList<int> sizes, string folder, Dictionary<string, object> figures)
    {
        Console.WriteLine(
            $"PRIOR's pretraining index of synthetic MIMIC-CXR installs, {Environment.ProcessorCount} cores, files in the page cache; "
                + "peak resident memory above the process's memory at the start of each part:"
        );
        Console.WriteLine(
            $"{"studies", 8} {"write s", 8} {"studies/s", 10} {"peak MB", 8} {"load s", 7} {"studies/s", 10} {"peak MB", 8} {"index MB", 9}"
        );
        var rows = new List<Dictionary<string, double>>();
        foreach (int studies in sizes)
        {
            var root = Path.Combine(folder, $"index-data-{studies}");
            if (!File.Exists(Path.Combine(root, "synth-manifest.json")))
                SyntheticDatasetGenerator.Generate(
                    new SyntheticDatasetOptions
                    {
                        OutputDirectory = root,
                        Studies = studies,
                        CheXpertImages = 0,
                        ImageSize = 32,
                        Seed = 7,
                    }
                );
            var options = MimicCxrLoaderOptions.FromRoot(root);
            var output = Path.Combine(folder, $"index-{studies}.jsonl.gz");
            MimicCxrIndex.Write(options, output); // warm-up: JIT and the page cache, as on a machine that has read the data once

            var memory = PeakMemory.Start();
            var clock = Stopwatch.StartNew();
            var summary = MimicCxrIndex.Write(options, output);
            double writeSeconds = clock.Elapsed.TotalSeconds;
            double writePeak = memory.AboveStartMb;

            memory = PeakMemory.Start();
            clock.Restart();
            long loaded = ReadEveryRow(output);
            double loadSeconds = clock.Elapsed.TotalSeconds;
            double loadPeak = memory.AboveStartMb;

            double indexMb = new FileInfo(output).Length / 1e6;
            Console.WriteLine(
                $"{studies, 8} {writeSeconds, 8:0.00} {studies / writeSeconds, 10:0} {writePeak, 8:0} {loadSeconds, 7:0.00} "
                    + $"{loaded / loadSeconds, 10:0} {loadPeak, 8:0} {indexMb, 9:0.0}"
                    + (memory.IsReset ? "" : "  (lifetime peaks: no reset on this system)")
            );
            rows.Add(
                new()
                {
                    ["studies"] = studies,
                    ["accepted"] = summary.Accepted,
                    ["writeSeconds"] = writeSeconds,
                    ["writePeakMb"] = writePeak,
                    ["loadSeconds"] = loadSeconds,
                    ["loadPeakMb"] = loadPeak,
                    ["indexMb"] = indexMb,
                }
            );
        }
        var largest = rows[^1];
        double rate = largest["studies"] / largest["writeSeconds"];
        Console.WriteLine(
            $"  at {rate:0} studies/s MIMIC-CXR's {MimicStudies:N0} studies take about {MimicStudies / rate / 60:0.0} min to index "
                + $"(plus what the disk takes to list 377k images the first time), and "
                + $"{MimicStudies / (largest["studies"] / largest["loadSeconds"]):0} s to stream back"
        );
        if (rows.Count > 1)
        {
            var smallest = rows[0];
            double scale = largest["studies"] / smallest["studies"];
            Console.WriteLine(
                $"  {scale:0}x the studies: {largest["writeSeconds"] / smallest["writeSeconds"]:0.0}x the index time, "
                    + $"{largest["loadSeconds"] / smallest["loadSeconds"]:0.0}x the load time; "
                    + $"peak memory {smallest["writePeakMb"]:0} -> {largest["writePeakMb"]:0} MB writing, {smallest["loadPeakMb"]:0} -> "
                    + $"{largest["loadPeakMb"]:0} MB loading"
            );
        }
        figures["indexStudiesPerSecond"] = rate;
        figures["indexLoadStudiesPerSecond"] = largest["studies"] / largest["loadSeconds"];
        figures["indexRuns"] = rows;
    }

    // What a training run does with the view: one pass of a cursor over every row's images, sentences and labels.
    private static long ReadEveryRow(string index)
    {
        var view = new MLContext(seed: 1).Data.LoadMimicCxr(index);
        var columns = new[] { MimicCxrColumns.ImagePaths, MimicCxrColumns.Sentences, MimicCxrColumns.Labels }
            .Select(c => view.Schema[c])
            .ToArray();
        using var cursor = view.GetRowCursor(columns);
        var paths = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns[0]);
        var sentences = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns[1]);
        var labels = cursor.GetGetter<VBuffer<float>>(columns[2]);
        VBuffer<ReadOnlyMemory<char>> p = default,
            s = default;
        VBuffer<float> l = default;
        long rows = 0,
            characters = 0;
        while (cursor.MoveNext())
        {
            paths(ref p);
            sentences(ref s);
            labels(ref l);
            foreach (var sentence in s.DenseValues())
                characters += sentence.Length;
            rows++;
        }
        if (characters == 0)
            throw new InvalidDataException($"{index}: no sentence text came back through the cursor.");
        return rows;
    }
}
