using System.CommandLine;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.Generation;
using Prior.MLNet.IO;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior draft</c>: a report drafted from each image from the model's sentence memory, by a
/// <see cref="Generation.ReportDraftMethod"/> (see docs/drafting.md).
/// </summary>
internal static class DraftCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A model pretrained by prior pretrain (its zip holds the sentence memory).",
            Required = true,
        };
        var images = new Option<string>("--images") { Description = "A text file with one image path per line.", Required = true };
        var output = new Option<string>("--out") { Description = "CSV: ImagePath, Findings, Impression, Draft.", Required = true };
        var skip = InputList.SkipUnreadableOption();
        var frame = InputList.FrameOption();
        var method = EnumOption.Create(
            "--method",
            "nearest-report: the training report nearest the image, whole (the default, best in docs/drafting.md); retrieval: the "
                + "training sentences most similar to the image (CXR-RePaiR's way); prototype: stage 3's sentence prototype generation",
            Defaults.ReportDraftMethod
        );
        var command = new Command(
            "draft",
            "Draft a FINDINGS/IMPRESSION report from each image (example: prior draft --model prior.zip --images images.txt --out "
                + "drafts.csv)."
        )
        {
            model,
            images,
            output,
            skip,
            frame,
            method,
        };
        command.SetAction(parse => CommandRunner.Run("draft", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var how = parse.GetValue(method);
                if (network.DraftingProblem(how) is { } problem)
                    throw new ArgumentException($"{parse.GetValue(model)}: {problem}");
                var paths = InputList.Read(parse.GetValue(images)!);
                var preprocessor = network.ImagePreprocessor;
                var (readable, drafts, failures) = InputList.MapInBatches(
                    paths,
                    preprocessor,
                    parse.GetValue(skip),
                    Defaults.InferenceBatchSize,
                    pixels => network.DraftReports(pixels, how),
                    "draft",
                    read: InputList.ReadOptions(parse.GetValue(frame))
                );
                var path = Path.GetFullPath(parse.GetValue(output)!);
                AtomicFile.WriteText(path, w =>
                {
                    CsvWriter.WriteRow(w, ["ImagePath", "Findings", "Impression", "Draft"]);
                    for (int k = 0; k < readable.Count; k++)
                        CsvWriter.WriteRow(
                            w,
                            [
                                paths[readable[k]],
                                string.Join(" ", drafts[k].Findings),
                                string.Join(" ", drafts[k].Impression),
                                drafts[k].Text,
                            ]
                        );
                });
                InputList.ReportFailures(failures, paths.Count);
                Console.WriteLine(
                    $"{readable.Count} reports drafted ({EnumOption.Text(how)}) from a memory of "
                        + $"{network.SentenceMemory!.Sentences.Count} sentences, written to {path}"
                );
                return 0;
            }));
        return command;
    }
}
