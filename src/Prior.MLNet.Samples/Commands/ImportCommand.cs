using System.CommandLine;
using Prior.MLNet.Interop;
using Prior.MLNet.Modeling;

namespace Prior.MLNet.Samples.Commands;

/// <summary>
/// <c>prior import</c>: a PyTorch PRIOR checkpoint (the official one, a Lightning checkpoint, a .safetensors, or a
/// file from <c>prior export</c>) into a model file every other command reads. Strict unless <c>--allow-partial</c>.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "The PyTorch state dict (.pt, .pth, .ckpt, .bin or .safetensors).", Required = true };
        var format = new Option<string>("--format") { Description = "auto, prior, torchvision or bert (only a whole PRIOR network imports to a model; the others start training: 'prior pretrain --init-image/--init-text').", DefaultValueFactory = _ => "auto" };
        var vocab = new Option<string?>("--vocab") { Description = "The vocab.txt the weights were trained with (Bio_ClinicalBERT's for the official PRIOR weights); not needed for files from 'prior export'." };
        var preset = new Option<string>("--preset") { Description = "Head counts the shapes cannot show: paper (default), small or tiny.", DefaultValueFactory = _ => "paper" };
        var partial = new Option<bool>("--allow-partial") { Description = "Load what matches; what the file lacks stays random (listed)." };
        var lower = new Option<bool>("--lowercase") { Description = "Lower-case text before tokenizing (uncased vocabularies)." };
        var output = new Option<string>("--out") { Description = "Model file to write (.zip).", Required = true };
        var command = new Command("import", "Import PyTorch PRIOR weights (e.g. the official checkpoint) as a model file.")
        {
            checkpoint, format, vocab, preset, partial, lower, output,
        };
        command.SetAction(parse => CommandRunner.Run("import", () =>
        {
            var kind = Enum.Parse<PriorWeightFormat>(parse.GetValue(format)!, ignoreCase: true);
            if (kind is PriorWeightFormat.Torchvision or PriorWeightFormat.Bert)
                throw new ArgumentException($"--format {parse.GetValue(format)} holds one tower only; start training from it with 'prior pretrain --init-image FILE' or '--init-text DIR'.");
            var (network, report) = PriorWeights.ImportNetwork(parse.GetValue(checkpoint)!, parse.GetValue(vocab),
                PriorModelOptions.FromPreset(parse.GetValue(preset)!), parse.GetValue(partial), parse.GetValue(lower) ? true : null);
            using (network)
            {
                Console.WriteLine(report.Describe());
                var o = network.Model.Options;
                Console.WriteLine($"model: {o.ImageSize} px, ResNet {o.ResNetBlock} [{string.Join(", ", o.ResNetLayers)}] width {o.ResNetWidth}, " +
                                  $"BERT {o.Text.NumHiddenLayers}x{o.Text.HiddenSize}, embedding {o.EmbeddingDim}, {o.Prototypes} prototypes; " +
                                  $"layout {o.LocalFeatureLayout}, decoder causal {o.DecoderCausalMask}, matching {o.PrototypeMatching}; " +
                                  $"zero-shot prompts {network.Inference.Prompts}, normalisation {network.Inference.ZeroShotImageMean}/{network.Inference.ZeroShotImageStd}");
                var outputPath = Path.GetFullPath(parse.GetValue(output)!);
                network.Save(outputPath);
                Console.WriteLine($"written to {outputPath}");
            }
            return 0;
        }));
        return command;
    }
}
