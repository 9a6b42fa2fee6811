using System.CommandLine;
using Prior.MLNet.Interop;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior export</c>: any model file as a PyTorch state dict under the official names (pickle .pt, or .safetensors),
/// which the original PRIOR code loads with strict loading; a sidecar keeps the settings for <c>prior import</c>.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A model file (from pretrain or import), or an ML.NET model zip holding PRIOR transformers.",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "The state dict to write: FILE.pt (torch.save pickle) or FILE.safetensors.",
            Required = true,
        };
        var command = new Command(
            "export",
            "Export a model as a PyTorch state dict under the official PRIOR names (example: prior export --model prior.zip --out "
                + "prior.pt)."
        )
        {
            model,
            output,
        };
        command.SetAction(parse => CommandRunner.Run("export", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var outputPath = Path.GetFullPath(parse.GetValue(output)!);
                var placeholders = PriorWeights.Export(network, outputPath);
                Console.WriteLine(
                    $"written to {outputPath} ({network.Model.state_dict().Count + 2 + placeholders.Count} tensors) and "
                        + $"{PriorWeights.SidecarPath(outputPath)}"
                );
                if (placeholders.Count > 0)
                    Console.WriteLine(
                        $"zero placeholders for tensors the original holds but never uses: {string.Join(", ", placeholders)}"
                    );
                return 0;
            }));
        return command;
    }
}
