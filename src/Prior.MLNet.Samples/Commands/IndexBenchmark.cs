using System.Diagnostics;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Data.Synthetic;

namespace Prior.MLNet.Samples.Commands;

/// <summary>
/// The index part of <c>prior bench</c>: PRIOR's build step (<see cref="MimicCxrIndex.Write"/>: metadata, split and
/// label tables read, every report parsed and split into sentences, every frontal image checked on disk) over a
/// synthetic MIMIC-CXR install, in studies per second, and what that means for MIMIC-CXR's 227,835 studies.
/// </summary>
internal static class IndexBenchmark
{
    private const int MimicStudies = 227_835;

    public static void Run(int studies, string folder, Dictionary<string, object> figures)
    {
        var root = Path.Combine(folder, $"index-data-{studies}");
        if (!File.Exists(Path.Combine(root, "synth-manifest.json")))
            SyntheticDatasetGenerator.Generate(new SyntheticDatasetOptions { OutputDirectory = root, Studies = studies, CheXpertImages = 0, ImageSize = 32, Seed = 7 });
        var options = MimicCxrLoaderOptions.FromRoot(root);
        var output = Path.Combine(folder, "index.jsonl.gz");
        MimicCxrIndex.Write(options, output);   // warm-up: JIT and the page cache, as on a machine that has read the data once
        var clock = Stopwatch.StartNew();
        var summary = MimicCxrIndex.Write(options, output);
        double seconds = clock.Elapsed.TotalSeconds;
        double rate = studies / seconds;
        Console.WriteLine($"PRIOR's pretraining index of a synthetic MIMIC-CXR install of {studies} studies ({summary.Accepted} accepted), {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  {seconds:0.00} s, {rate:0} studies/s: MIMIC-CXR's {MimicStudies:N0} studies in about {MimicStudies / rate / 60:0.0} min (files in the page cache)");
        figures["indexStudiesPerSecond"] = rate;
    }
}
