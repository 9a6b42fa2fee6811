using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Prior.MLNet.Data;
using Prior.MLNet.Evaluation;
using Prior.MLNet.IO;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior classify</c>: PRIOR's zero-shot classification of a list of images: per-class scores and the predicted
/// class, with the model's prompts (or class names given, or a prompts file). Unreadable images are named.
/// </summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A model file (from pretrain or import) or an ML.NET zip with PRIOR transformers.",
            Required = true,
        };
        var images = new Option<string>("--images") { Description = "A text file with one image path per line.", Required = true };
        var classes = new Option<string?>("--classes")
        {
            Description =
                "Comma-separated class names, prompted as '<Class> is observed.' (default: the CheXpert five with the model's prompt set).",
        };
        var prompts = new Option<string?>("--prompts")
        {
            Description = "A JSON file {\"Class\": [\"prompt\", ...], ...}; every class needs the same number of prompts.",
        };
        var output = new Option<string>("--out")
        {
            Description = "Tab-separated output: ImagePath, one score column per class, PredictedLabel.",
            Required = true,
        };
        var skip = InputList.SkipUnreadableOption();
        var frame = InputList.FrameOption();
        var shardOption = Shard.CreateOption();
        var command = new Command(
            "classify",
            "Zero-shot classification of images with a PRIOR model (example: prior classify --model prior.zip --images images.txt "
                + "--classes Atelectasis,Cardiomegaly --out classes.csv)."
        )
        {
            model,
            images,
            classes,
            prompts,
            output,
            skip,
            frame,
            shardOption,
        };
        command.SetAction(parse => CommandRunner.Run("classify", () =>
            {
                var shard = Shard.Parse(parse.GetValue(shardOption));
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var promptSet = Prompts(parse.GetValue(classes), parse.GetValue(prompts), network.PromptSet);
                using var classifier = ZeroShotClassifier.For(network, promptSet);
                var inputs = InputList.Read(parse.GetValue(images)!);
                // A shard classifies its part of the list only; the sidecar records the rows' positions in the whole list.
                var mine = shard?.Select(inputs) ?? Enumerable.Range(0, inputs.Count).ToList();
                var paths = mine.Select(i => inputs[i]).ToList();
                var (readable, scores, failures) = InputList.MapInBatches(
                    paths,
                    classifier.Preprocessor,
                    parse.GetValue(skip),
                    Defaults.InferenceBatchSize,
                    classifier.ScorePixels,
                    "classify",
                    read: InputList.ReadOptions(parse.GetValue(frame))
                );
                var path = Path.GetFullPath(parse.GetValue(output)!);
                AtomicFile.WriteText(path, w =>
                {
                    w.Write("ImagePath\t" + string.Join('\t', classifier.Classes) + "\tPredictedLabel\n");
                    for (int k = 0; k < readable.Count; k++)
                    {
                        var row = scores[k];
                        int best = Array.IndexOf(row, row.Max());
                        w.Write(
                            paths[readable[k]]
                                + "\t"
                                + string.Join('\t', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))
                                + "\t"
                                + classifier.Classes[best]
                                + "\n"
                        );
                    }
                });
                shard?.WriteSidecar(path, "classify", inputs, headerLines: 1, readable.Select(i => mine[i]));
                InputList.ReportFailures(failures, paths.Count);
                Console.WriteLine(
                    $"{readable.Count} images classified into {classifier.Classes.Count} classes, written to {path}"
                        + (shard is null ? "" : $" (shard {shard.Index} of {shard.Count}: {paths.Count} of {inputs.Count} images)")
                );
                return 0;
            }));
        return command;
    }

    /// <summary>The class prompts of --classes or --prompts, or the model's prompt set for the CheXpert five.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyList<string>> Prompts(string? classes, string? promptsFile, ZeroShotPromptSet set)
    {
        if (classes is not null && promptsFile is not null)
            throw new ArgumentException("Give --classes or --prompts, not both.");
        if (promptsFile is not null)
        {
            if (!File.Exists(promptsFile))
                throw new FileNotFoundException($"{promptsFile}: the prompts file does not exist.", promptsFile);
            try
            {
                return JsonSerializer
                    .Deserialize<Dictionary<string, List<string>>>(File.ReadAllText(promptsFile))!
                    .ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{promptsFile}: not a JSON object of class → prompt list ({ex.Message}).", ex);
            }
        }
        if (classes is not null)
            return ZeroShotPrompts.Original(classes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return ZeroShotPrompts.For(set, ChexpertLabels.CompetitionFive);
    }
}
