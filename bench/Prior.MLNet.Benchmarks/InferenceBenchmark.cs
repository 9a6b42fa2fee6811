using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The inference part of <c>prior bench</c>: image embeddings through <c>mlContext.Transforms.PriorImageEmbedding</c>
/// (an IDataView of file paths: cursor, decoding, batching, column plumbing) against the same network's batched forward
/// pass on the same images already decoded in memory, at the same batch size.
/// </summary>
internal static class InferenceBenchmark
{
    public static void Run(
        IReadOnlyList<string> paths,
        string vocabulary,
        string preset,
        int batchSize,
        Dictionary<string, object> figures,
        string key
    )
    {
        var options = PriorModelOptions.FromPreset(preset);
        random.manual_seed(1);
        using var model = new PriorModel(options, vocabularySize: 300);
        model.eval();
        using var network = new PriorNetwork(model, new ReportTokenizer(vocabulary, options.MaxTokens), usePrototypes: false);
        var preprocessor = network.ImagePreprocessor;
        var decoded = preprocessor.LoadAll(paths).Pixels.Select(p => p!).ToList();

        double Raw()
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < decoded.Count; i += batchSize)
                network.EmbedImages(decoded.GetRange(i, Math.Min(batchSize, decoded.Count - i)), local: false);
            return decoded.Count / clock.Elapsed.TotalSeconds;
        }
        var ml = new MLContext(seed: 1);
        var input = ml.Data.LoadFromEnumerable(paths.Select(p => new ImageRow { ImagePath = p }));
        var transformer = ml.Transforms.PriorImageEmbedding(network, batchSize: batchSize).Fit(input);
        double Pipeline()
        {
            var clock = Stopwatch.StartNew();
            var output = transformer.Transform(input);
            using var cursor = output.GetRowCursor([output.Schema["ImageEmbedding"]]);
            var getter = cursor.GetGetter<VBuffer<float>>(output.Schema["ImageEmbedding"]);
            VBuffer<float> value = default;
            int rows = 0;
            while (cursor.MoveNext())
            {
                getter(ref value);
                rows++;
            }
            return rows / clock.Elapsed.TotalSeconds;
        }
        double Decode()
        {
            var clock = Stopwatch.StartNew();
            preprocessor.LoadAll(paths);
            return paths.Count / clock.Elapsed.TotalSeconds;
        }
        Raw();
        Pipeline(); // warm-up of both paths
        // Alternate the two, three times each, and keep each one's best: the machine's noise hits both alike.
        double raw = 0,
            pipeline = 0,
            decode = 0;
        for (int r = 0; r < 3; r++)
        {
            raw = Math.Max(raw, Raw());
            pipeline = Math.Max(pipeline, Pipeline());
            decode = Math.Max(decode, Decode());
        }
        Console.WriteLine($"Image embeddings, {preset} preset, batch {batchSize}, {paths.Count} JPEGs, {get_num_threads()} torch threads:");
        Console.WriteLine($"  {"raw batched forward, images already decoded in memory", -62} {raw, 7:0.0} images/s");
        Console.WriteLine(
            $"  {"mlContext.Transforms.PriorImageEmbedding over file paths", -62} {pipeline, 7:0.0} images/s   pipeline/raw "
                + $"{pipeline / raw:0.00}"
        );
        // Decoding and the forward pass share the cores: without any overlap the pipeline would run at 1/(1/raw + 1/decode).
        Console.WriteLine(
            $"  {"decoding alone (read, decode, resize, normalise; all cores)", -62} {decode, 7:0.0} images/s   raw/(raw+decode) "
                + $"{decode / (raw + decode):0.00}"
        );
        figures[key] = pipeline / raw;
    }

    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
    }
}
