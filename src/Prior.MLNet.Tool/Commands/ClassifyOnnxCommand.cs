using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Image;
using Prior.MLNet.IO;
using Prior.MLNet.Onnx;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior classify-onnx</c>: the deployment sample. Zero-shot classification with an exported <c>zero_shot.onnx</c>
/// through nothing but ML.NET's stock transforms — LoadImages, ConvertToGrayscale, ResizeImages, ExtractPixels,
/// ApplyOnnxModel — as a server without libtorch, TorchSharp or this library's network code would run it.
/// </summary>
internal static class ClassifyOnnxCommand
{
    public static Command Create()
    {
        var onnx = new Option<string>("--onnx") { Description = "A zero_shot.onnx written by prior export-onnx.", Required = true };
        var images = new Option<string>("--images") { Description = "A text file with one image path per line.", Required = true };
        var output = new Option<string>("--out")
        {
            Description = "Tab-separated output: ImagePath, one score column per class, PredictedLabel.",
            Required = true,
        };
        var command = new Command(
            "classify-onnx",
            "Zero-shot classification with an exported ONNX graph through ML.NET's ApplyOnnxModel alone (example: prior classify-onnx "
                + "--onnx onnx/zero_shot.onnx --images images.txt --out classes.tsv)."
        )
        {
            onnx,
            images,
            output,
        };
        command.SetAction(parse => CommandRunner.Run("classify-onnx", () =>
            {
                var modelPath = Path.GetFullPath(parse.GetValue(onnx)!);
                var (classes, size) = Describe(modelPath);
                var paths = InputList.Read(parse.GetValue(images)!);
                var ml = new MLContext(seed: 1);
                var data = ml.Data.LoadFromEnumerable(paths.Select(p => new ImageRow { ImagePath = p }));
                var scored = Pipeline(ml, modelPath, size).Fit(data).Transform(data);
                List<ScoreRow> rows;
                try
                {
                    rows = ml.Data.CreateEnumerable<ScoreRow>(scored, reuseRowObject: false).ToList();
                }
                catch (Exception ex) when (Unreadable(paths) is { Count: > 0 } bad)
                {
                    // ML.NET's loader names neither the file nor the row ("Invalid input stream contents"); say which.
                    throw new InvalidDataException(
                        $"{bad.Count} of {paths.Count} images cannot be read by ML.NET's image loader, e.g. "
                            + string.Join("; ", bad.Take(5).Select(b => $"{b.Path} ({b.Reason})"))
                            + ". Fix them or drop them from the list.",
                        ex
                    );
                }
                var path = Path.GetFullPath(parse.GetValue(output)!);
                AtomicFile.WriteText(path, w =>
                {
                    w.Write("ImagePath\t" + string.Join('\t', classes) + "\tPredictedLabel\n");
                    for (int i = 0; i < rows.Count; i++)
                    {
                        var row = rows[i].scores;
                        w.Write(
                            paths[i]
                                + "\t"
                                + string.Join('\t', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))
                                + "\t"
                                + classes[Array.IndexOf(row, row.Max())]
                                + "\n"
                        );
                    }
                });
                Console.WriteLine(
                    $"{rows.Count} images classified into {classes.Count} classes with ONNX Runtime through ApplyOnnxModel, written to "
                        + $"{path}"
                );
                return 0;
            }));
        return command;
    }

    /// <summary>
    /// The stock ML.NET pipeline: image file → gray → S×S → one channel scaled to [0, 1] → the exported graph's
    /// <c>scores</c>. ML.NET's resize is not PRIOR's area resize, so scores differ slightly from <c>prior classify</c>
    /// on images whose size is not S.
    /// </summary>
    public static IEstimator<ITransformer> Pipeline(MLContext ml, string modelPath, int size) =>
        ml
            .Transforms.LoadImages("Loaded", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ConvertToGrayscale("Gray", "Loaded"))
            .Append(ml.Transforms.ResizeImages("Resized", size, size, "Gray", ImageResizingEstimator.ResizingKind.Fill))
            .Append(
                ml.Transforms.ExtractPixels(
                    PriorOnnxExport.ImageInput,
                    "Resized",
                    colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red,
                    scaleImage: 1f / 255
                )
            )
            .Append(ml.Transforms.ApplyOnnxModel([PriorOnnxExport.ScoresOutput], [PriorOnnxExport.ImageInput], modelPath));

    // The images ML.NET's own loader (MLImage, what LoadImages uses) cannot open, with its reason.
    private static List<(string Path, string Reason)> Unreadable(IReadOnlyList<string> paths)
    {
        var bad = new List<(string, string)>();
        foreach (var path in paths)
        {
            try
            {
                using var image = MLImage.CreateFromFile(path);
            }
            catch (Exception ex)
            {
                bad.Add((path, ex.Message.Split('\n')[0].Trim()));
            }
        }
        return bad;
    }

    /// <summary>The class names and image size the export wrote into the graph's metadata.</summary>
    public static (IReadOnlyList<string> Classes, int Size) Describe(string modelPath)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"{modelPath}: the ONNX file does not exist.", modelPath);
        using var session = new InferenceSession(modelPath);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        if (!metadata.TryGetValue(PriorOnnxExport.ClassesMetadataKey, out var classes) || !metadata.TryGetValue("image_size", out var size))
            throw new InvalidDataException(
                $"{modelPath}: not a zero-shot graph from prior export-onnx (its metadata has no '{PriorOnnxExport.ClassesMetadataKey}' "
                    + $"and 'image_size')."
            );
        return (JsonSerializer.Deserialize<string[]>(classes)!, int.Parse(size, CultureInfo.InvariantCulture));
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class ScoreRow
    {
        public float[] scores { get; set; } = [];
    }
}
