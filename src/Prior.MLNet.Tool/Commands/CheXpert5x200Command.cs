using System.CommandLine;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior chexpert-5x200</c>: the CheXpert 5x200 zero-shot subset (GLoRIA/MGCA recipe).</summary>
internal static class CheXpert5x200Command
{
    public static Command Create()
    {
        var chexpert = new Option<string>("--chexpert")
        {
            Description = "The CheXpert-v1.0-small folder (holding train.csv and train/).",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "CSV to write, with CheXpert's columns.", Required = true };
        var perClass = new Option<int>("--per-class")
        {
            Description = "Images per class.",
            DefaultValueFactory = _ => CheXpertZeroShotSubset.DefaultPerClass,
        };
        var seed = new Option<long>("--seed")
        {
            Description = "Seed (class k uses seed + k).",
            DefaultValueFactory = _ => CheXpertZeroShotSubset.DefaultSeed,
        };
        var command = new Command(
            "chexpert-5x200",
            "Build the CheXpert 5x200 zero-shot subset: frontal images positive for exactly one of the competition five (example: prior "
                + "chexpert-5x200 --chexpert CheXpert-v1.0-small --out 5x200.csv)."
        )
        {
            chexpert,
            output,
            perClass,
            seed,
        };
        command.SetAction(parse => CommandRunner.Run("chexpert-5x200", () =>
            {
                var summary = new DataLoadSummary();
                var chosen = CheXpertZeroShotSubset.Build(
                    parse.GetValue(chexpert)!,
                    parse.GetValue(output)!,
                    parse.GetValue(perClass),
                    parse.GetValue(seed),
                    summary: summary
                );
                foreach (var group in chosen.GroupBy(c => c.Label))
                    Console.WriteLine($"{group.Key}: {group.Count()}");
                var defects = summary.Skipped.Where(kv => kv.Key is not SkipReason.ViewFiltered).ToList();
                Console.WriteLine(
                    $"train.csv rows skipped: "
                        + $"{(defects.Count == 0 ? "none" : string.Join(", ", defects.Select(kv => $"{kv.Key} {kv.Value}")))}"
                );
                foreach (var item in summary.Items.Take(10))
                    Console.WriteLine($"  {item}");
                Console.WriteLine($"written to {Path.GetFullPath(parse.GetValue(output)!)}");
                return 0;
            }));
        return command;
    }
}
