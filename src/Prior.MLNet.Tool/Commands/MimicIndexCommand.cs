using System.CommandLine;
using System.Globalization;
using Prior.MLNet.Data.Mimic;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior mimic-index</c>: PRIOR's build step — the pretraining index of a MIMIC-CXR install.</summary>
internal static class MimicIndexCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description =
                "Root holding mimic-cxr-jpg/2.0.0/ and mimic-cxr-reports/ (as 'prior synth' writes them, or PhysioNet's download).",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "Index file to write (JSON Lines; .gz compresses).", Required = true };
        var images = new Option<string?>("--images") { Description = "MIMIC-CXR-JPG files/ folder, when not under --data." };
        var reports = new Option<string?>("--reports") { Description = "MIMIC-CXR reports files/ folder, when not under --data." };
        var metadata = new Option<string?>("--metadata") { Description = "mimic-cxr-2.0.0-metadata.csv(.gz), when not under --data." };
        var split = new Option<string?>("--split") { Description = "mimic-cxr-2.0.0-split.csv(.gz), when not under --data." };
        var labels = new Option<string?>("--labels") { Description = "mimic-cxr-2.0.0-chexpert.csv(.gz), when not under --data." };
        var minSentences = new Option<int>("--min-sentences")
        {
            Description = "Drop studies with fewer sentences in FINDINGS + IMPRESSION.",
            DefaultValueFactory = _ => Defaults.MinReportSentences,
        };
        var list = new Option<int>("--list") { Description = "How many skipped items to print by name.", DefaultValueFactory = _ => 20 };
        var shardOption = Shard.CreateOption();
        var command = new Command(
            "mimic-index",
            "Write the PRIOR pretraining index of a MIMIC-CXR install: one record per usable study, with the skips by reason (example: "
                + "prior mimic-index --data mimic --out index.jsonl.gz)."
        )
        {
            data,
            output,
            images,
            reports,
            metadata,
            split,
            labels,
            minSentences,
            list,
            shardOption,
        };
        command.SetAction(parse => CommandRunner.Run("mimic-index", () =>
            {
                var root = MimicCxrLoaderOptions.FromRoot(parse.GetValue(data)!);
                // A shard reads the metadata table whole (seconds) for the studies' order, and only its own studies'
                // reports and images (the hours on a network file system).
                var shard = Shard.Parse(parse.GetValue(shardOption));
                var outputPath = parse.GetValue(output)!;
                var written = LiveProgress.Run("mimic-index", "studies", 0, live =>
                    MimicCxrIndex.WriteIndex(
                        root with
                        {
                            ImageFolder = parse.GetValue(images) ?? root.ImageFolder,
                            ReportFolder = parse.GetValue(reports) ?? root.ReportFolder,
                            MetadataPath = parse.GetValue(metadata) ?? root.MetadataPath,
                            SplitPath = parse.GetValue(split) ?? root.SplitPath,
                            LabelsPath = parse.GetValue(labels) ?? root.LabelsPath,
                            MinSentences = parse.GetValue(minSentences),
                            Shard = shard?.Part,
                            Progress = live.Messages(),
                        },
                        outputPath
                    )
                );
                var summary = written.Summary;
                if (shard is not null)
                {
                    // The study order of the whole metadata table is the list the positions index, so merge refuses
                    // the parts of builds over different tables.
                    var order = written.StudyOrder.Select(id => id.ToString(CultureInfo.InvariantCulture)).ToList();
                    shard.WriteSidecar(outputPath, "mimic-index", order, headerLines: 1, written.Positions);
                }
                else if (summary.Accepted == 0)
                {
                    // An index of no study would only fail later, in pretrain or retrieval: nothing is left behind. (A
                    // shard may hold none; the merged index is what must not be empty.)
                    File.Delete(outputPath);
                    throw new InvalidDataException(
                        $"no study is usable, so no index is written ({summary.Describe(3).Replace('\n', ';')})"
                    );
                }
                Console.WriteLine(
                    $"studies indexed: {summary.Accepted}"
                        + (shard is null ? "" : $" (shard {shard.Index} of {shard.Count}: of {written.StudyOrder.Count} studies listed)")
                );
                var skipped = summary.Skipped.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}");
                Console.WriteLine($"skipped: {(summary.Skipped.Count == 0 ? "none" : string.Join(", ", skipped))}");
                foreach (var item in summary.Items.Take(parse.GetValue(list)))
                    Console.WriteLine($"  {item}");
                if (summary.Items.Count > parse.GetValue(list))
                    Console.WriteLine($"  … {summary.Items.Count - parse.GetValue(list)} more");
                Console.WriteLine($"written to {Path.GetFullPath(outputPath)}");
                return 0;
            }));
        return command;
    }
}
