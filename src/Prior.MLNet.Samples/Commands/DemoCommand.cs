using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Data.Synthetic;
using Prior.MLNet.IO;

namespace Prior.MLNet.Samples.Commands;

/// <summary>
/// <c>prior demo</c>: the whole story on the synthetic default. Today: generate both datasets, build the
/// pretraining index and the 5x200 subset, and read everything back through ML.NET. Pretraining and evaluation
/// join this command as they land.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Working folder for the data and the report.", DefaultValueFactory = _ => Path.Combine("out", "demo") };
        var json = new Option<string?>("--json") { Description = "Write the demo's figures as one flat JSON object." };
        var command = new Command("demo", "Run the end-to-end demo on the synthetic default.") { output, json };
        command.SetAction(parse => CommandRunner.Run("demo", () =>
        {
            var root = Path.GetFullPath(parse.GetValue(output)!);
            var data = Path.Combine(root, "data");
            Console.WriteLine($"1/4 synthetic MIMIC-CXR and CheXpert -> {data}");
            var manifest = SyntheticDatasetGenerator.Generate(new SyntheticDatasetOptions { OutputDirectory = data }, CommandRunner.ConsoleProgress());
            CommandRunner.EndProgress();

            Console.WriteLine("2/4 pretraining index (PRIOR's build step)");
            var index = Path.Combine(root, "mimic-index.jsonl.gz");
            var indexSummary = MimicCxrIndex.Write(MimicCxrLoaderOptions.FromRoot(data), index);
            Console.WriteLine($"    {indexSummary.Describe(5).Replace("\n", "\n    ", StringComparison.Ordinal)}");

            Console.WriteLine("3/4 CheXpert 5x200 zero-shot subset");
            var chexpert = Path.Combine(data, CheXpertColumns.DatasetFolder);
            var subsetPath = Path.Combine(root, "chexpert_5x200.csv");
            var subset = CheXpertZeroShotSubset.Build(chexpert, subsetPath);
            Console.WriteLine($"    {string.Join(", ", subset.GroupBy(s => s.Label).Select(g => $"{g.Key} {g.Count()}"))}");

            Console.WriteLine("4/4 both datasets as ML.NET IDataViews");
            var ml = new MLContext(seed: 1);
            var studies = ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = index }, out var loadSummary);
            var first = ml.Data.CreateEnumerable<MimicCxrStudy>(studies, reuseRowObject: false).First();
            Console.WriteLine($"    MIMIC-CXR: {loadSummary.Accepted} studies; columns {string.Join(", ", studies.Schema.Select(c => c.Name))}");
            Console.WriteLine($"    e.g. study {first.StudyId} ({first.ViewPosition}): \"{first.Sentences[0]}\" ... {first.Sentences.Length} sentences");
            var zeroShot = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = chexpert, Csv = subsetPath }, out var zeroShotSummary);
            var prevalence = ml.Data.CreateEnumerable<CheXpertImage>(zeroShot, reuseRowObject: false)
                .Aggregate(new float[ChexpertLabels.Count], (sum, row) => { for (int k = 0; k < sum.Length; k++) sum[k] += row.Labels[k] == 1f ? 1 : 0; return sum; });
            Console.WriteLine($"    CheXpert 5x200: {zeroShotSummary.Accepted} images; positives: " +
                string.Join(", ", ChexpertLabels.CompetitionFive.Select(c => $"{c} {prevalence[ChexpertLabels.IndexOf(c)]}")));

            var figures = new Dictionary<string, object>
            {
                ["mimicStudies"] = manifest.MimicStudies,
                ["mimicUsableStudies"] = indexSummary.Accepted,
                ["mimicSkipped"] = indexSummary.Skipped.Where(kv => kv.Key != SkipReason.ViewFiltered).Sum(kv => kv.Value),
                ["chexpertTrainRows"] = manifest.CheXpertTrainRows,
                ["zeroShotImages"] = zeroShotSummary.Accepted,
            };
            if (parse.GetValue(json) is { } jsonPath)
                AtomicFile.WriteText(jsonPath, w => w.Write(JsonSerializer.Serialize(figures, new JsonSerializerOptions { WriteIndented = true })));
            Console.WriteLine("demo: " + string.Join(", ", figures.Select(kv => $"{kv.Key} {kv.Value}")));
            return 0;
        }));
        return command;
    }
}
