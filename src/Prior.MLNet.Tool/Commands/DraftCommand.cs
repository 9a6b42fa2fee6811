using System.CommandLine;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.IO;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior draft</c>: a report drafted from each image by stage 3's sentence prototype generation and the model's
/// sentence memory (see docs/drafting.md).
/// </summary>
internal static class DraftCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A model trained through stage 3 (its zip holds the sentence memory).",
            Required = true,
        };
        var images = new Option<string>("--images") { Description = "A text file with one image path per line.", Required = true };
        var output = new Option<string>("--out") { Description = "CSV: ImagePath, Findings, Impression, Draft.", Required = true };
        var skip = InputList.SkipUnreadableOption();
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
        };
        command.SetAction(parse => CommandRunner.Run("draft", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                if (network.SentenceMemory is null)
                    throw new ArgumentException(
                        $"{parse.GetValue(model)}: the model has no sentence memory to draft from; train stage 3 (prior pretrain "
                            + $"--epochs with a third count above 0)."
                    );
                var paths = InputList.Read(parse.GetValue(images)!);
                var preprocessor = new ImagePreprocessor(
                    network.Model.Options.ImageSize,
                    network.Inference.ImageMean,
                    network.Inference.ImageStd
                );
                var (readable, drafts, failures) = InputList.MapInBatches(
                    paths,
                    preprocessor,
                    parse.GetValue(skip),
                    64,
                    network.DraftReports,
                    "draft"
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
                    $"{readable.Count} reports drafted from a memory of {network.SentenceMemory.Sentences.Count} sentences, written to "
                        + $"{path}"
                );
                return 0;
            }));
        return command;
    }
}
