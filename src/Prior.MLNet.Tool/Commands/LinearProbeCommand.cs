using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Prior.MLNet.Evaluation;
using Prior.MLNet.IO;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior linear-probe</c>: ML.NET logistic regression on frozen image embeddings, per CheXpert label.</summary>
internal static class LinearProbeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A model file from 'prior pretrain'.", Required = true };
        var chexpert = new Option<string>("--chexpert")
        {
            Description = "The CheXpert-v1.0-small folder (train.csv to train, valid.csv to test).",
            Required = true,
        };
        var fractions = new Option<string>("--fractions")
        {
            Description = "Shares of the training labels to use.",
            DefaultValueFactory = _ => "0.01,0.1,1",
        };
        var json = new Option<string?>("--json")
        {
            Description =
                "Write meanAuc (at 100 %, or the largest fraction), meanAucCompetition, meanAuc per fraction, the AUC per label, "
                + "the labels not scored with why, the label policy and the split as JSON.",
        };
        var protocol = new CheXpertProtocolOptions();
        var skip = InputList.SkipUnreadableOption();
        var command = new Command(
            "linear-probe",
            "Linear probing of the image embeddings on CheXpert, with per-label AUC (example: prior linear-probe --model prior.zip "
                + "--chexpert CheXpert-v1.0-small --fractions 0.01,0.1,1)."
        )
        {
            model,
            chexpert,
            fractions,
            json,
            skip,
        };
        protocol.AddTo(command);
        command.SetAction(parse => CommandRunner.Run("linear-probe", () =>
            {
                var chosen = protocol.Of(parse);
                var list = parse.GetValue(fractions)!.Split(',').Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToList();
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                Console.WriteLine($"protocol: {chosen.Policy.Name}, split {chosen.SplitName}, {chosen.Labels.Count} labels");
                var results = Evaluations.LinearProbe(network, parse.GetValue(chexpert)!, list, parse.GetValue(skip), chosen);
                foreach (var r in results)
                {
                    var scored = string.Join(", ", r.Auc.Select(kv => $"{kv.Key} {kv.Value:0.000}"));
                    Console.WriteLine(
                        r.Auc.Count == 0
                            ? $"{r.Fraction:P0} of labels: no label scored"
                            : $"{r.Fraction:P0} of labels: mean AUC {r.MeanAuc:0.000} over {r.Auc.Count} ({scored})"
                                + (double.IsNaN(r.MeanAucCompetition) ? "" : $"; competition five {r.MeanAucCompetition:0.000}")
                    );
                    foreach (var (label, reason) in r.NotScored)
                        Console.WriteLine($"  not scored: {label}: {reason}");
                }
                // Nothing to compute is the user's data, said in one line (exit 2), not an empty table.
                if (results.All(r => r.Auc.Count == 0))
                {
                    var reasons = results[^1].NotScored.Select(kv => $"{kv.Key}: {kv.Value}");
                    throw new InvalidDataException($"no label can be scored ({string.Join("; ", reasons)}).");
                }
                if (parse.GetValue(json) is { } path)
                    AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(Figures(results, chosen))));
                return 0;
            }));
        return command;
    }

    // NaN (a figure that cannot be computed) is written as null: JSON has no NaN.
    private static Dictionary<string, object?> Figures(IReadOnlyList<PriorLinearProbeMetrics> results, CheXpertProtocol protocol)
    {
        static object? Number(double value) => double.IsNaN(value) ? null : value;
        var last = results.OrderBy(r => r.Fraction).Last();
        var figures = new Dictionary<string, object?>();
        foreach (var r in results)
            figures["meanAuc" + (r.Fraction * 100).ToString("0.##", CultureInfo.InvariantCulture).Replace('.', '_')] = Number(r.MeanAuc);
        figures["meanAuc"] = Number(last.MeanAuc);
        figures["meanAucCompetition"] = Number(last.MeanAucCompetition);
        figures["auc"] = last.Auc;
        figures["notScored"] = last.NotScored;
        figures["labelPolicy"] = protocol.Policy.Name;
        figures["split"] = protocol.SplitName;
        if (protocol.SplitFile is not null)
            figures["splitFile"] = protocol.SplitFile;
        return figures;
    }
}
