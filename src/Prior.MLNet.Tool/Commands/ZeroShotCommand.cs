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
                    $"accuracy {result.Multiclass.MicroAccuracy:0.000}, macro accuracy {result.Multiclass.MacroAccuracy:0.000}, macro F1 "
                        + $"{result.MacroF1:0.000}, kappa {result.Kappa:0.000}, log loss {result.Multiclass.LogLoss:0.000}"
                );
                Console.WriteLine(result.Multiclass.ConfusionMatrix.GetFormattedConfusionTable());
                if (parse.GetValue(json) is { } path)
                {
                    AtomicFile.WriteText(path, w => w.Write(
                            JsonSerializer.Serialize(
                                new Dictionary<string, object>
                                {
                                    ["accuracy"] = result.Multiclass.MicroAccuracy,
                                    ["macroF1"] = result.MacroF1,
                                    ["kappa"] = result.Kappa,
                                    ["images"] = result.Multiclass.ConfusionMatrix.Counts.Sum(row => row.Sum()),
                                    ["labelPolicy"] = PriorZeroShotMetrics.LabelPolicy,
                                    ["subset"] = parse.GetValue(subset) ?? "built from train.csv, seed 114514",
                                }
                            )
                        ));
                }
                return 0;
            }));
        return command;
    }

    /// <summary>Runs the evaluation (shared with the demo).</summary>
    public static PriorZeroShotMetrics Run(string modelPath, string chexpert, string? subset, string? prompts, bool skipUnreadable = false)
    {
        using var network = PriorNetwork.Load(modelPath);
        return Evaluate(network, chexpert, subset, prompts, skipUnreadable);
    }

    /// <summary>
    /// Scores the 5x200 set with <paramref name="network"/>; <paramref name="usePrototypes"/> overrides whether the
    /// class prompts go through the sentence bank (null: as the network was trained).
    /// </summary>
    public static PriorZeroShotMetrics Evaluate(
        PriorNetwork network,
        string chexpert,
        string? subset,
        string? prompts,
        bool skipUnreadable = false,
        bool? usePrototypes = null,
        bool quiet = false
    )
    {
        // Without a subset file, one is built from train.csv into a temporary file, removed once scored.
        var subsetPath = subset ?? Path.Combine(Path.GetTempPath(), $"prior-5x200-{Guid.NewGuid():N}.csv");
        try
        {
            if (subset is null)
                CheXpertZeroShotSubset.Build(chexpert, subsetPath);
            return Score(network, chexpert, subsetPath, prompts, skipUnreadable, usePrototypes, quiet);
        }
        finally
        {
            if (subset is null)
                File.Delete(subsetPath);
        }
    }

    private static PriorZeroShotMetrics Score(
        PriorNetwork network,
        string chexpert,
        string subsetPath,
        string? prompts,
        bool skipUnreadable,
        bool? usePrototypes,
        bool quiet
    )
    {
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = chexpert, Csv = subsetPath }, out var summary);
        int present = summary.Accepted; // what the loader kept, counted as it read, without a second pass over the view
        int listed = present + summary.Skipped.Values.Sum();
        if (!quiet)
            Console.WriteLine($"scoring {present} of the {listed} images the subset lists");
        foreach (var item in summary.Items)
            Console.WriteLine($"  not scored: {item}");
        if (present == 0)
            throw new InvalidDataException($"{chexpert}: none of the subset's images is in this install.");
        var set = prompts switch
        {
            null => network.PromptSet,
            "original" => ZeroShotPromptSet.Original,
            "ensemble" => ZeroShotPromptSet.Ensemble,
            _ => throw new ArgumentException($"--prompts must be original or ensemble, not '{prompts}'."),
        };
        // The one 5x200 protocol, shared with the demo, the ablations and every user of the library.
        var result = ml.PriorEvaluation()
            .EvaluateZeroShotCore(
                network,
                view,
                ZeroShotPrompts.For(set, ChexpertLabels.CompetitionFive),
                Defaults.ImagePathColumnName,
                "Labels",
                skipUnreadable ? UnreadableImageHandling.Skip : UnreadableImageHandling.Fail,
                Defaults.InferenceBatchSize,
                usePrototypes
            );
        foreach (var item in result.NotScored.Where(i => i.Reason != SkipReason.UnreadableImage))
            Console.WriteLine($"  not scored: {item}");
        var unreadable = result.NotScored.Where(i => i.Reason == SkipReason.UnreadableImage).Select(i => $"{i.Path}: {i.Detail}").ToList();
        InputList.ReportFailures(unreadable, result.Scored + unreadable.Count);
        return result;
    }
}
