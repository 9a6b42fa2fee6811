using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.IO;
using Prior.MLNet.Text;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior label-reports</c>: the 14 CheXpert labels of each report, by the rule-based labeler.</summary>
internal static class LabelReportsCommand
{
    public static Command Create()
    {
        var reports = new Option<string>("--reports")
        {
            Description = "A text file with one report per line: a report .txt path, or the report's text.",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "CSV: Report, then the 14 labels in CheXpert's order (1.0, 0.0, -1.0 or blank).",
            Required = true,
        };
        var conventions = EnumOption.Create(
            "--conventions",
            "chexpert: the CheXpert labeler's published rules (default); extended: with this library's additions (device words, "
                + "abbreviations, hedges, lines that are not devices; docs/drafting.md)",
            ReportLabelConventions.Chexpert
        );
        var command = new Command(
            "label-reports",
            "Label radiology reports with the 14 CheXpert observations (rule-based) (example: prior label-reports --reports reports.txt "
                + "--out labels.csv)."
        )
        {
            reports,
            output,
            conventions,
        };
        command.SetAction(parse => CommandRunner.Run("label-reports", () =>
            {
                var chosen = parse.GetValue(conventions);
                var lines = InputList.Read(parse.GetValue(reports)!);
                var path = Path.GetFullPath(parse.GetValue(output)!);
                // Through the public transform, as a user's pipeline labels reports.
                var ml = new MLContext(seed: 1);
                var texts = ml.Data.LoadFromEnumerable(
                    lines.Select(l => new ReportRow { Report = File.Exists(l) ? File.ReadAllText(l) : l })
                );
                var labelled = ml.Transforms.LabelChexpertObservations("Labels", "Report", chosen).Fit(texts).Transform(texts);
                var rows = lines
                    .Zip(labelled.GetColumn<float[]>("Labels"), (line, labels) =>
                        (string[])[line, .. labels.Select(v => float.IsNaN(v) ? "" : v.ToString("0.0", CultureInfo.InvariantCulture))]
                    )
                    .ToList();
                AtomicFile.WriteText(path, w =>
                {
                    CsvWriter.WriteRow(w, ["Report", .. ChexpertLabels.Names]);
                    foreach (var row in rows)
                        CsvWriter.WriteRow(w, row);
                });
                Console.WriteLine($"{rows.Count} reports labelled by {chosen} conventions, written to {path}");
                return 0;
            }));
        return command;
    }

    private sealed class ReportRow
    {
        public string Report { get; set; } = "";
    }
}
