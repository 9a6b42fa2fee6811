using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Evaluation;
using Prior.MLNet.IO;
using Prior.MLNet.Modeling;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior zero-shot</c>: PRIOR's zero-shot classification on the CheXpert 5x200 set, with ML.NET metrics.</summary>
internal static class ZeroShotCommand
{
    public static Command Create()
    {
        var modelPath = new Option<string>("--model") { Description = "A model file from 'prior pretrain'.", Required = true };
        var chexpert = new Option<string>("--chexpert") { Description = "The CheXpert-v1.0-small folder.", Required = true };
        var subset = new Option<string?>("--subset")
        {
            Description =
                "'authors' (the PRIOR authors' exact selection, shipped), a 5x200 CSV, or a selection JSON in the authors' format "
                + "(default: built from train.csv with seed 114514).",
        };
        var prompts = new Option<string?>("--prompts")
        {
            Description =
                "original (PRIOR's '<Class> is observed') or ensemble; default: the model's own setting (original for imported official "
                + "weights).",
        };
        var json = new Option<string?>("--json")
        {
            Description = "Write accuracy, macroF1, kappa, images, labelPolicy and subset as JSON.",
        };
        var skip = InputList.SkipUnreadableOption();
        var command = new Command(
            "zero-shot",
            "Zero-shot classification of the CheXpert 5x200 set (example: prior zero-shot --model prior.zip --chexpert "
                + "CheXpert-v1.0-small --subset authors)."
        )
        {
            modelPath,
            chexpert,
            subset,
            prompts,
            json,
            skip,
        };
        command.SetAction(parse => CommandRunner.Run("zero-shot", () =>
            {
                var result = Run(
                    parse.GetValue(modelPath)!,
                    parse.GetValue(chexpert)!,
                    parse.GetValue(subset),
                    parse.GetValue(prompts),
                    parse.GetValue(skip)
                );
                Console.WriteLine(
                    $"accuracy {result.Metrics.MicroAccuracy:0.000}, macro accuracy {result.Metrics.MacroAccuracy:0.000}, macro F1 "
                        + $"{result.MacroF1:0.000}, kappa {result.Kappa:0.000}, log loss {result.Metrics.LogLoss:0.000}"
                );
                Console.WriteLine(result.Metrics.ConfusionMatrix.GetFormattedConfusionTable());
                if (parse.GetValue(json) is { } path)
                {
                    AtomicFile.WriteText(path, w => w.Write(
                            JsonSerializer.Serialize(
                                new Dictionary<string, object>
                                {
                                    ["accuracy"] = result.Metrics.MicroAccuracy,
                                    ["macroF1"] = result.MacroF1,
                                    ["kappa"] = result.Kappa,
                                    ["images"] = result.Metrics.ConfusionMatrix.Counts.Sum(row => row.Sum()),
                                    ["labelPolicy"] = LabelPolicy,
                                    ["subset"] = parse.GetValue(subset) ?? "built from train.csv, seed 114514",
                                }
                            )
                        ));
                }
                return 0;
            }));
        return command;
    }

    /// <summary>The label protocol of the 5x200 evaluation, as the JSON records it.</summary>
    public const string LabelPolicy =
        "5x200: each image's class is the one competition label it is positive (1.0) for; images positive for none or several are "
        + "not scored";

    /// <summary>Runs the evaluation (shared with the demo).</summary>
    public static ZeroShotEvaluation.Result Run(
        string modelPath,
        string chexpert,
        string? subset,
        string? prompts,
        bool skipUnreadable = false
    )
    {
        using var network = PriorNetwork.Load(modelPath);
        return Evaluate(network, chexpert, subset, prompts, skipUnreadable);
    }

    /// <summary>
    /// Scores the 5x200 set with <paramref name="network"/>; <paramref name="usePrototypes"/> overrides whether the
    /// class prompts go through the sentence bank (null: as the network was trained).
    /// </summary>
    public static ZeroShotEvaluation.Result Evaluate(
        PriorNetwork network,
        string chexpert,
        string? subset,
        string? prompts,
        bool skipUnreadable = false,
        bool? usePrototypes = null,
        bool quiet = false
    )
    {
        var model = network.Model;
        var subsetPath = subset;
        if (subsetPath is null)
        {
            subsetPath = Path.Combine(Path.GetTempPath(), $"prior-5x200-{Guid.NewGuid():N}.csv");
            CheXpertZeroShotSubset.Build(chexpert, subsetPath);
        }
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = chexpert, Csv = subsetPath }, out var summary);
        var images = ml.Data.CreateEnumerable<CheXpertImage>(view, false).ToList();
        int listed = images.Count + summary.Skipped.Values.Sum();
        if (!quiet)
            Console.WriteLine($"scoring {images.Count} of the {listed} images the subset lists");
        foreach (var item in summary.Items)
            Console.WriteLine($"  not scored: {item}");
        if (images.Count == 0)
            throw new InvalidDataException($"{chexpert}: none of the subset's images is in this install.");
        var classes = ChexpertLabels.CompetitionFive;
        // The 5x200 protocol: an image's class is the one competition label it is positive (1.0) for; an image a CSV lists
        // positive for none or several of them has no single answer and is not scored (named).
        var indexes = classes.Select(ChexpertLabels.IndexOf).ToList();
        var single = images.Where(i => indexes.Count(k => i.Labels[k] == 1f) == 1).ToList();
        foreach (var image in images.Except(single))
            Console.WriteLine(
                $"  not scored: {image.ImagePath}: positive for {indexes.Count(k => image.Labels[k] == 1f)} of the five classes, not one"
            );
        if (single.Count == 0)
            throw new InvalidDataException(
                $"no image of the subset is positive for exactly one of {string.Join(", ", classes)}, so nothing can be scored"
            );
        images = single;
        var truth = images.Select(i => indexes.FindIndex(k => i.Labels[k] == 1f)).ToList();
        var set = prompts switch
        {
            null => network.Inference.Prompts,
            "original" => ZeroShotPromptSet.Original,
            "ensemble" => ZeroShotPromptSet.Ensemble,
            _ => throw new ArgumentException($"--prompts must be original or ensemble, not '{prompts}'."),
        };
        using var classifier = new ZeroShotClassifier(
            model,
            network.Tokenizer,
            usePrototypes ?? network.UsePrototypes,
            ZeroShotPrompts.For(set, classes),
            network.Inference.ZeroShotImageMean,
            network.Inference.ZeroShotImageStd
        );
        var (readable, scores, failures) = InputList.MapInBatches(
            images.Select(i => i.ImagePath).ToList(),
            classifier.Preprocessor,
            skipUnreadable,
            64,
            classifier.ScorePixels,
            "zero-shot"
        );
        if (readable.Count == 0)
            throw new InvalidDataException($"{chexpert}: none of the subset's images could be read.");
        truth = readable.Select(i => truth[i]).ToList();
        InputList.ReportFailures(failures, images.Count);
        return ZeroShotEvaluation.Evaluate(ml, truth, scores.ToArray(), classes);
    }
}
