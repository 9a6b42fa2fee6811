using System.CommandLine;
using System.Globalization;
using System.Text.Json;
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
            Description = "Write meanAuc (at 100 %, or the largest fraction) and meanAuc per fraction as JSON.",
        };
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
        command.SetAction(parse => CommandRunner.Run("linear-probe", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var list = parse.GetValue(fractions)!.Split(',').Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToList();
                var results = Evaluations.LinearProbe(network, parse.GetValue(chexpert)!, list, parse.GetValue(skip));
                foreach (var r in results)
                    Console.WriteLine(
                        $"{r.Fraction:P0} of labels: mean AUC {r.MeanAuc:0.000} "
                            + $"({string.Join(", ", r.Auc.Select(kv => $"{kv.Key} {kv.Value:0.000}"))})"
                    );
                if (parse.GetValue(json) is { } path)
                {
                    var figures = results.ToDictionary(
                        r => "meanAuc" + (r.Fraction * 100).ToString("0.##", CultureInfo.InvariantCulture).Replace('.', '_'),
                        r => r.MeanAuc
                    );
                    figures["meanAuc"] = results.OrderBy(r => r.Fraction).Last().MeanAuc;
                    AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(figures)));
                }
                return 0;
            }));
        return command;
    }
}
