using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Onnx;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples;

/// <summary>
/// Deployment without libtorch: the zero-shot classifier exported as ONNX (prompts folded in) and run by ML.NET's
/// ApplyOnnxModel behind ML.NET's own image transforms.
/// </summary>
public static class OnnxDeploymentSample
{
    private sealed class Scores
    {
        [ColumnName(PriorOnnxExport.ScoresOutput)]
        public float[] Values { get; set; } = [];
    }

    /// <summary>Runs the sample; returns how many images the ONNX graph and TorchSharp give the same class.</summary>
    public static (int Same, int Total) Run(SampleData data)
    {
        var ml = new MLContext(seed: 1);
        var onnxPath = Path.Combine(data.Work, "zero_shot.onnx");
        int size;
        var rows = ZeroShotSample.Images(ml, data);
        IDataView images = ml.Data.LoadFromEnumerable(rows);
        List<uint> torchSharp;
        using (var network = PriorNetwork.Load(data.ModelPath))
        {
            PriorOnnxExport.WriteZeroShotClassifier(network, ZeroShotPrompts.CheXpert5, onnxPath);
            size = network.ImageSize;
            var scored = ml.Transforms.PriorZeroShotClassification(network, ZeroShotPrompts.CheXpert5).Fit(images).Transform(images);
            torchSharp = scored.GetColumn<uint>("PredictedLabel").ToList();
        }

        // What a deployment runs: stock ML.NET transforms and ONNX Runtime, nothing of Prior.MLNet.
        var pipeline = ml
            .Transforms.LoadImages("Loaded", imageFolder: null, inputColumnName: "ImagePath")
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
            .Append(ml.Transforms.ApplyOnnxModel([PriorOnnxExport.ScoresOutput], [PriorOnnxExport.ImageInput], onnxPath));
        var onnx = ml
            .Data.CreateEnumerable<Scores>(pipeline.Fit(images).Transform(images), reuseRowObject: false)
            .Select(s => (uint)Array.IndexOf(s.Values, s.Values.Max()) + 1) // key values count from 1
            .ToList();
        int same = onnx.Zip(torchSharp).Count(p => p.First == p.Second);
        Console.WriteLine($"ONNX graph written to {onnxPath}; ApplyOnnxModel and TorchSharp agree on {same} of {rows.Count} images");
        return (same, rows.Count);
    }
}
