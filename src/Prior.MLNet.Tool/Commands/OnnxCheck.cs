using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Onnx;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// Runs exported ONNX graphs in ONNX Runtime and the same inputs through the TorchSharp network, and gives the largest
/// absolute difference of their outputs: what <c>prior export-onnx</c> reports for every file it writes.
/// </summary>
internal static class OnnxCheck
{
    /// <summary>Seeded gray images [count][S·S] in [0, 1], the exported graphs' input.</summary>
    public static float[][] Pixels(int size, int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable
            .Range(0, count)
            .Select(_ => Enumerable.Range(0, size * size).Select(_ => (float)random.NextDouble()).ToArray())
            .ToArray();
    }

    /// <summary>The graph's float outputs for images [N][S·S], by output name, one row per image.</summary>
    public static Dictionary<string, float[][]> RunImages(InferenceSession session, IReadOnlyList<float[]> pixels, int size)
    {
        var input = new DenseTensor<float>(pixels.SelectMany(p => p).ToArray(), [pixels.Count, 1, size, size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(PriorOnnxExport.ImageInput, input)]);
        return results.ToDictionary(r => r.Name, r => Rows(r.AsTensor<float>().ToArray(), pixels.Count));
    }

    /// <summary>Largest |ONNX − TorchSharp| of the image encoder's global (and local, when exported) embeddings.</summary>
    public static double ImageEncoder(PriorNetwork network, string path, float[][] pixels)
    {
        using var session = new InferenceSession(path);
        var onnx = RunImages(session, pixels, network.ImageSize);
        var (global, local) = network.EmbedImages(
            Normalised(pixels, network.ImagePreprocessor.Mean, network.ImagePreprocessor.Std),
            onnx.ContainsKey(PriorOnnxExport.LocalEmbeddingsOutput)
        );
        double worst = Largest(global, onnx[PriorOnnxExport.EmbeddingOutput]);
        return local is null ? worst : Math.Max(worst, Largest(local, onnx[PriorOnnxExport.LocalEmbeddingsOutput]));
    }

    /// <summary>Largest |ONNX − TorchSharp| of the zero-shot scores.</summary>
    public static double ZeroShot(
        PriorNetwork network,
        IReadOnlyDictionary<string, IReadOnlyList<string>> prompts,
        string path,
        float[][] pixels
    )
    {
        using var session = new InferenceSession(path);
        var onnx = RunImages(session, pixels, network.ImageSize);
        using var classifier = ZeroShotClassifier.For(network, prompts);
        var zeroShot = network.ZeroShotImagePreprocessor;
        var torch = classifier.ScorePixels(Normalised(pixels, zeroShot.Mean, zeroShot.Std));
        return Largest(torch, onnx[PriorOnnxExport.ScoresOutput]);
    }

    /// <summary>Largest |ONNX − TorchSharp| of the report embeddings of <paramref name="reports"/> (sentence lists).</summary>
    public static double ReportEncoder(PriorNetwork network, string path, IReadOnlyList<IReadOnlyList<string>> reports)
    {
        var encoded = reports.Select(r => network.Tokenizer.Encode(r)).ToList();
        int n = encoded.Count,
            length = network.Tokenizer.MaxLength;
        DenseTensor<long> Input(Func<Prior.MLNet.Text.TokenizedReport, long[]> field) =>
            new(encoded.SelectMany(field).ToArray(), [n, length]);
        using var session = new InferenceSession(path);
        using var results = session.Run([
            NamedOnnxValue.CreateFromTensor(PriorOnnxExport.InputIdsInput, Input(e => e.InputIds)),
            NamedOnnxValue.CreateFromTensor(PriorOnnxExport.AttentionMaskInput, Input(e => e.AttentionMask)),
            NamedOnnxValue.CreateFromTensor(PriorOnnxExport.SentenceIndexInput, Input(e => e.SentenceIndex)),
        ]);
        return Largest(network.EmbedReports(reports), Rows(results.Single().AsTensor<float>().ToArray(), n));
    }

    /// <summary>(p − mean) / std of every pixel: what the graph does inside, for the TorchSharp side.</summary>
    public static List<float[]> Normalised(IEnumerable<float[]> pixels, float mean, float std) =>
        pixels.Select(p => p.Select(v => (v - mean) / std).ToArray()).ToList();

    private static float[][] Rows(float[] values, int count)
    {
        int per = values.Length / count;
        return Enumerable.Range(0, count).Select(i => values.AsSpan(i * per, per).ToArray()).ToArray();
    }

    private static double Largest(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual)
    {
        if (expected.Count != actual.Count)
            throw new InvalidOperationException($"ONNX gave {actual.Count} rows, TorchSharp {expected.Count}.");
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            if (expected[i].Length != actual[i].Length)
                throw new InvalidOperationException($"row {i}: ONNX gave {actual[i].Length} values, TorchSharp {expected[i].Length}.");
            for (int j = 0; j < expected[i].Length; j++)
                worst = Math.Max(worst, Math.Abs(expected[i][j] - actual[i][j]));
        }
        return worst;
    }
}
