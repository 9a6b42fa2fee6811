using System.CommandLine;
using System.Text.Json;
using Prior.MLNet.IO;
using Prior.MLNet.Onnx;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior export-onnx</c>: a model as ONNX graphs for deployment without libtorch — the image encoder, the report
/// encoder and a zero-shot classifier with its prompts folded in — each checked in ONNX Runtime against TorchSharp
/// on the same inputs before the command succeeds.
/// </summary>
internal static class ExportOnnxCommand
{
    /// <summary>The largest difference from TorchSharp an exported graph may show.</summary>
    public const double Tolerance = 1e-4;

    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A model file (from pretrain or import) or an ML.NET zip with PRIOR transformers.",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "The folder to write image_encoder.onnx, report_encoder.onnx, zero_shot.onnx and export.json into.",
            Required = true,
        };
        var classes = new Option<string?>("--classes")
        {
            Description =
                "Comma-separated class names for the zero-shot graph, prompted as '<Class> is observed.' (default: the CheXpert five "
                + "with the model's prompt set).",
        };
        var prompts = new Option<string?>("--prompts")
        {
            Description =
                "A JSON file {\"Class\": [\"prompt\", ...], ...} for the zero-shot graph; every class needs the same number of prompts.",
        };
        var local = new Option<bool>("--local")
        {
            Description = "Also output the local (patch) embeddings [N, I, E] from the image encoder.",
        };
        var command = new Command(
            "export-onnx",
            "Export a model as ONNX graphs (image encoder, report encoder, zero-shot classifier), each checked against TorchSharp "
                + "(example: prior export-onnx --model prior.zip --out onnx)."
        )
        {
            model,
            output,
            classes,
            prompts,
            local,
        };
        command.SetAction(parse => CommandRunner.Run("export-onnx", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var classPrompts = ClassifyCommand.Prompts(parse.GetValue(classes), parse.GetValue(prompts), network.PromptSet);
                var folder = Path.GetFullPath(parse.GetValue(output)!);
                Directory.CreateDirectory(folder);
                string image = Path.Combine(folder, "image_encoder.onnx"),
                    report = Path.Combine(folder, "report_encoder.onnx"),
                    zeroShot = Path.Combine(folder, "zero_shot.onnx");
                PriorOnnxExport.WriteImageEncoder(network, image, parse.GetValue(local));
                PriorOnnxExport.WriteReportEncoder(network, report);
                PriorOnnxExport.WriteZeroShotClassifier(network, classPrompts, zeroShot);

                // The check: seeded images and the prompts themselves as reports, through both runtimes.
                var pixels = OnnxCheck.Pixels(network.ImageSize, 4, seed: 1);
                var reports = classPrompts.Values.SelectMany(p => p).Select(p => (IReadOnlyList<string>)PriorNetwork.Sentences(p)).ToList();
                reports.Add(classPrompts.Values.Select(p => p[0]).ToList()); // one report of several sentences
                var differences = new Dictionary<string, double>
                {
                    ["image_encoder.onnx"] = OnnxCheck.ImageEncoder(network, image, pixels),
                    ["report_encoder.onnx"] = OnnxCheck.ReportEncoder(network, report, reports),
                    ["zero_shot.onnx"] = OnnxCheck.ZeroShot(network, classPrompts, zeroShot, pixels),
                };
                foreach (var (file, difference) in differences)
                    Console.WriteLine(
                        $"{file, -20} {new FileInfo(Path.Combine(folder, file)).Length / 1e6, 8:0.0} MB   largest |ONNX Runtime − "
                            + $"TorchSharp| {difference:0.0e+00}"
                    );
                AtomicFile.WriteText(Path.Combine(folder, "export.json"), w => w.Write(
                        JsonSerializer.Serialize(
                            new
                            {
                                imageSize = network.ImageSize,
                                imageInput = $"{PriorOnnxExport.ImageInput}: [N, 1, S, S] float32, gray pixels / 255 (normalised inside "
                                    + $"the graphs)",
                                classes = classPrompts.Keys,
                                prompts = classPrompts,
                                largestDifference = differences,
                            },
                            new JsonSerializerOptions { WriteIndented = true }
                        )
                    ));
                var failed = differences.Where(d => !(d.Value <= Tolerance)).Select(d => d.Key).ToList();
                if (failed.Count > 0)
                {
                    Console.Error.WriteLine(
                        $"export-onnx: {string.Join(", ", failed)} differ from TorchSharp by more than {Tolerance:0e+00}; please report "
                            + $"it with the model's preset."
                    );
                    return 1;
                }
                Console.WriteLine(
                    $"written to {folder} (classes: {string.Join(", ", classPrompts.Keys)}); every graph within {Tolerance:0e+00} of "
                        + $"TorchSharp"
                );
                return 0;
            }));
        return command;
    }
}
