using System.CommandLine;
using System.Globalization;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Tool.Report;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior attention</c>: where sentences attend in images — for each image one picture with a panel per sentence,
/// the local alignment's cross-attention over the image's patches upsampled smoothly over it.
/// </summary>
internal static class AttentionCommand
{
    /// <summary>The sentences drawn by default: one finding sentence per CheXpert competition class.</summary>
    internal static IReadOnlyList<string> DefaultSentences => ZeroShotPrompts.CheXpert5.Values.Select(prompts => prompts[1]).ToList();

    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description =
                "A PRIOR model zip whose local features are spatial (any model trained here; not the official checkpoint's flat view).",
            Required = true,
        };
        var images = new Option<string>("--images") { Description = "A text file with one image path per line.", Required = true };
        var output = new Option<string>("--out")
        {
            Description = "Folder for the pictures: one PNG per image, named by its row and file name.",
            Required = true,
        };
        var sentences = new Option<string?>("--sentences")
        {
            Description = "A text file with one sentence per line (default: a finding sentence for each of the CheXpert five).",
        };
        var skip = InputList.SkipUnreadableOption();
        var frame = InputList.FrameOption();
        var command = new Command(
            "attention",
            "Draw where each sentence attends in each image (example: prior attention --model prior.zip --images images.txt --out maps)."
        )
        {
            model,
            images,
            output,
            sentences,
            skip,
            frame,
        };
        command.SetAction(parse => CommandRunner.Run("attention", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var texts = parse.GetValue(sentences) is { } file ? InputList.Read(file) : DefaultSentences;
                var paths = InputList.Read(parse.GetValue(images)!);
                var folder = Path.GetFullPath(parse.GetValue(output)!);
                var preprocessor = network.ImagePreprocessor;
                // Each batch's pictures are written as they are drawn: memory does not grow with the list.
                var (readable, _, failures) = InputList.MapInBatches(
                    paths,
                    preprocessor,
                    parse.GetValue(skip),
                    16,
                    (rows, pixels) =>
                    {
                        // Made with the first picture: a run with nothing readable leaves no empty folder behind.
                        Directory.CreateDirectory(folder);
                        var maps = network.AttentionMaps(pixels, texts);
                        for (int k = 0; k < rows.Count; k++)
                        {
                            var name = string.Create(
                                CultureInfo.InvariantCulture,
                                $"{rows[k] + 1:D5}-{Path.GetFileNameWithoutExtension(paths[rows[k]])}.png"
                            );
                            Charts.AttentionMaps(
                                Path.Combine(folder, name),
                                Panels(pixels[k], maps[k], texts, preprocessor, network.ImageSize)
                            );
                        }
                        return rows;
                    },
                    "attention",
                    read: InputList.ReadOptions(parse.GetValue(frame))
                );
                InputList.ReportFailures(failures, paths.Count);
                int side = network.ImageSize / 32;
                Console.WriteLine(
                    $"{readable.Count} pictures of {texts.Count} sentences each ({side} × {side} patches over "
                        + $"{network.ImageSize} px) written to {folder}"
                );
                return 0;
            }));
        return command;
    }

    // One panel per sentence: the image as the network saw it (normalisation undone) and the sentence's map.
    internal static List<(byte[] Gray, int Size, float[] Attention, int Side, string Sentence)> Panels(
        float[] pixels,
        float[][] maps,
        IReadOnlyList<string> sentences,
        ImagePreprocessor preprocessor,
        int size
    )
    {
        var gray = pixels.Select(v => (byte)Math.Clamp(MathF.Round((v * preprocessor.Std + preprocessor.Mean) * 255), 0, 255)).ToArray();
        return sentences.Select((s, i) => (gray, size, maps[i], size / 32, s)).ToList();
    }
}
