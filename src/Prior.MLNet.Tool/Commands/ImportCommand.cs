using System.CommandLine;
using Prior.MLNet.Interop;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior import</c>: a PyTorch PRIOR checkpoint (the official one, a Lightning checkpoint, a .safetensors, or a
/// file from <c>prior export</c>) into a model file every other command reads. Strict unless <c>--allow-partial</c>.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "The PyTorch state dict (.pt, .pth, .ckpt, .bin or .safetensors), or a Hugging Face BERT folder.",
            Required = true,
        };
        var format = EnumOption.Create(
            "--format",
            "What the file holds. One tower alone (prior_resnet50.pt, ImageNet ResNet, BERT) imports only with --allow-partial, the rest "
                + "random and listed",
            PriorWeightFormat.Auto
        );
        var vocab = new Option<string?>("--vocab")
        {
            Description =
                "The vocab.txt the weights were trained with (Bio_ClinicalBERT's for the official PRIOR weights); not needed for files "
                + "from 'prior export'.",
        };
        var preset = EnumOption.Create("--preset", "Head counts the shapes cannot show", PriorPreset.Paper);
        var partial = new Option<bool>("--allow-partial") { Description = "Load what matches; what the file lacks stays random (listed)." };
        var lower = new Option<bool>("--lowercase") { Description = "Lower-case text before tokenizing (uncased vocabularies)." };
        var output = new Option<string>("--out") { Description = "Model file to write (.zip).", Required = true };
        var command = new Command(
            "import",
            "Import PyTorch PRIOR weights (e.g. the official checkpoint) as a model file (example: prior import --checkpoint prior.ckpt "
                + "--vocab vocab.txt --out prior.zip)."
        )
        {
            checkpoint,
            format,
            vocab,
            preset,
            partial,
            lower,
            output,
        };
        command.SetAction(parse => CommandRunner.Run("import", () =>
            {
                var kind = parse.GetValue(format);
                var source = parse.GetValue(checkpoint)!;
                if (kind == PriorWeightFormat.Bert && !Directory.Exists(source))
                    throw new ArgumentException(
                        $"--format bert takes the Hugging Face folder (config.json, vocab.txt, weights), not '{source}'."
                    );
                var (network, report) = PriorWeights.ImportNetwork(
                    source,
                    parse.GetValue(vocab),
                    PriorModelOptions.FromPreset(parse.GetValue(preset)),
                    parse.GetValue(partial),
                    parse.GetValue(lower) ? true : null
                );
                using (network)
                {
                    Console.WriteLine(report.Describe());
                    var o = network.Model.Options;
                    Console.WriteLine(
                        $"model: {o.ImageSize} px, ResNet {o.ResNetBlock} [{string.Join(", ", o.ResNetLayers)}] width {o.ResNetWidth}, "
                            + $"BERT {o.Text.NumHiddenLayers}x{o.Text.HiddenSize}, embedding {o.EmbeddingDim}, {o.Prototypes} prototypes; "
                            + $"layout {o.LocalFeatureLayout}, decoder causal {o.DecoderCausalMask}, matching {o.PrototypeMatching}; "
                            + $"zero-shot prompts {network.PromptSet}, normalisation "
                            + $"{network.ZeroShotImagePreprocessor.Mean}/{network.ZeroShotImagePreprocessor.Std}"
                    );
                    var outputPath = Path.GetFullPath(parse.GetValue(output)!);
                    network.Save(outputPath);
                    Console.WriteLine($"written to {outputPath}");
                }
                return 0;
            }));
        return command;
    }
}
