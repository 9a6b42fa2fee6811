using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Prior.MLNet.Modeling;
using Prior.MLNet.Onnx;
using Prior.MLNet.Text;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The onnx part of <c>prior bench</c>: the exported image encoder in ONNX Runtime (CPU provider, default threads)
/// against the same network's batched TorchSharp forward, on the same images already in memory at the same batch size.
/// </summary>
internal static class OnnxBenchmark
{
    public static void Run(string vocabulary, string work, Dictionary<string, object> figures)
    {
        Console.WriteLine(
            $"Image encoder inference on the CPU, images in memory: ONNX Runtime {OrtEnv.Instance().GetVersionString()} against "
                + $"TorchSharp ({get_num_threads()} torch threads)"
        );
        Console.WriteLine($"{"preset", -8} {"batch", 5} {"images", 6} {"TorchSharp", 11} {"ONNX Runtime", 13} {"ONNX/TorchSharp", 16}");
        foreach (
            var (preset, batch, count, key) in new[]
            {
                ("tiny", 32, 256, "onnxVsTorchSharp"),
                ("small", 32, 128, "onnxVsTorchSharpSmall"),
                ("paper", 4, 16, "onnxVsTorchSharpPaper"),
            }
        )
        {
            var options = PriorModelOptions.FromPreset(preset);
            random.manual_seed(1);
            using var model = new PriorModel(options, vocabularySize: 300);
            using var network = new PriorNetwork(model, new ReportTokenizer(vocabulary, options.MaxTokens), usePrototypes: false);
            var path = Path.Combine(work, $"bench-{preset}-image-encoder.onnx");
            PriorOnnxExport.WriteImageEncoder(network, path);
            int size = options.ImageSize;
            var pixels = OnnxCheck.Pixels(size, count, seed: 1);
            var normalised = OnnxCheck.Normalised(pixels, network.ImagePreprocessor.Mean, network.ImagePreprocessor.Std);
            using var session = new InferenceSession(path);

            double Torch()
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < count; i += batch)
                    network.EmbedImages(normalised.GetRange(i, Math.Min(batch, count - i)), local: false);
                return count / clock.Elapsed.TotalSeconds;
            }
            double Onnx()
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < count; i += batch)
                    OnnxCheck.RunImages(session, pixels[i..Math.Min(count, i + batch)], size);
                return count / clock.Elapsed.TotalSeconds;
            }
            Torch();
            Onnx(); // warm-up of both
            // Alternate the two, three times each, and keep each one's best: the machine's noise hits both alike.
            double torch = 0,
                onnx = 0;
            for (int r = 0; r < 3; r++)
            {
                torch = Math.Max(torch, Torch());
                onnx = Math.Max(onnx, Onnx());
            }
            Console.WriteLine($"{preset, -8} {batch, 5} {count, 6} {torch, 7:0.0} im/s {onnx, 8:0.0} im/s {onnx / torch, 16:0.00}");
            figures[key] = onnx / torch;
            File.Delete(path);
        }
    }
}
