using System.Text.Json;
using Google.Protobuf;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.IO;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Onnx;

/// <summary>
/// Exports a trained PRIOR network as plain ONNX graphs for deployment without libtorch (ONNX Runtime, or ML.NET's
/// <c>ApplyOnnxModel</c>): the image encoder and a zero-shot classifier with its class prompts folded in as
/// constants, so a deployment needs neither a tokenizer nor the text tower.
/// <para>
/// Every graph takes <see cref="ImageInput"/>: gray images [N, 1, S, S] as float32 in [0, 1] (8-bit gray / 255) at
/// the network's size S, the batch N free. The normalisation the network was trained with is inside the graph. Fed
/// the pixels PRIOR's own preprocessing makes (<see cref="ImagePreprocessor"/> with mean 0 and std 1), the graphs
/// give what the PRIOR transformers give, within float rounding.
/// </para>
/// </summary>
public static class PriorOnnxExport
{
    /// <summary>The image input of every exported graph: [N, 1, S, S] float32 in [0, 1].</summary>
    public const string ImageInput = "image";

    /// <summary>The image encoder's output: the L2-normalised global embedding [N, E] (as <c>PriorImageEmbedding</c>).</summary>
    public const string EmbeddingOutput = "embedding";

    /// <summary>The image encoder's optional output: L2-normalised local (patch) embeddings [N, I, E].</summary>
    public const string LocalEmbeddingsOutput = "local_embeddings";

    /// <summary>The zero-shot classifier's output: PRIOR's class scores [N, C] (as <c>PriorZeroShotClassification</c>'s
    /// <c>Score</c>).</summary>
    public const string ScoresOutput = "scores";

    /// <summary>The report encoder's token ids [N, L] (int64), as <see cref="Text.ReportTokenizer.Encode"/> gives them.</summary>
    public const string InputIdsInput = "input_ids";

    /// <summary>The report encoder's attention mask [N, L] (int64: 1 token, 0 padding).</summary>
    public const string AttentionMaskInput = "attention_mask";

    /// <summary>The report encoder's sentence index [N, L] (int64: the token's sentence 1..T; −1 for CLS, SEP and padding).</summary>
    public const string SentenceIndexInput = "sentence_index";

    /// <summary>The report encoder's output: the L2-normalised report embedding [N, E] (as <c>PriorReportEmbedding</c>).</summary>
    public const string ReportEmbeddingOutput = "report_embedding";

    /// <summary>Metadata key of the report encoder: the word-piece vocabulary, one token per line, id = line number.</summary>
    public const string VocabularyMetadataKey = "vocabulary";

    /// <summary>Metadata key of the zero-shot graph: the class names in score order, as a JSON array.</summary>
    public const string ClassesMetadataKey = "classes";

    /// <summary>
    /// Writes the image encoder (pixels → <see cref="EmbeddingOutput"/>, and <see cref="LocalEmbeddingsOutput"/> when
    /// <paramref name="includeLocal"/>) to <paramref name="path"/>, normalising images with the network's
    /// <see cref="PriorInferenceSettings.ImageMean"/> and <see cref="PriorInferenceSettings.ImageStd"/>.
    /// </summary>
    public static void WriteImageEncoder(PriorNetwork network, string path, bool includeLocal = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var model = network.Model;
        int size = model.Options.ImageSize,
            e = model.Options.EmbeddingDim,
            patches = network.Patches;
        var graph = new OnnxGraphBuilder("prior_image_encoder");
        lock (network.Gate)
        {
            using var guard = TorchGcGuard.Enter();
            using var noGrad = no_grad();
            var image = graph.Input(ImageInput, "N", 1, size, size);
            var normalised = OnnxNetworkWriter.Normalise(graph, image, network.Inference.ImageMean, network.Inference.ImageStd);
            var (global, local) = OnnxNetworkWriter.ImageEncoder(graph, model, normalised);
            graph.Output(EmbeddingOutput, OnnxNetworkWriter.L2Normalise(graph, global, 1), "N", e);
            if (includeLocal)
                graph.Output(LocalEmbeddingsOutput, OnnxNetworkWriter.L2Normalise(graph, local, 2), "N", patches, e);
        }
        Write(
            graph.Build(
                "PRIOR image encoder: gray images [N, 1, S, S] in [0, 1] → L2-normalised embeddings.",
                Metadata(network, network.Inference.ImageMean, network.Inference.ImageStd)
            ),
            path
        );
    }

    /// <summary>
    /// Writes the report encoder (<see cref="InputIdsInput"/>, <see cref="AttentionMaskInput"/>,
    /// <see cref="SentenceIndexInput"/> → <see cref="ReportEmbeddingOutput"/>): BERT, sentence averaging, the
    /// prototypes when the network uses them, and the sentence attention pooling. Tokenisation stays outside the graph;
    /// the vocabulary, its casing and the maximum length are in the metadata.
    /// </summary>
    public static void WriteReportEncoder(PriorNetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var graph = new OnnxGraphBuilder("prior_report_encoder");
        lock (network.Gate)
        {
            using var guard = TorchGcGuard.Enter();
            using var noGrad = no_grad();
            var ids = graph.Int64Input(InputIdsInput, "N", "L");
            var mask = graph.Int64Input(AttentionMaskInput, "N", "L");
            var index = graph.Int64Input(SentenceIndexInput, "N", "L");
            var report = OnnxNetworkWriter.ReportEncoder(graph, network.Model, ids, mask, index, network.UsePrototypes);
            graph.Output(ReportEmbeddingOutput, OnnxNetworkWriter.L2Normalise(graph, report, 1), "N", network.EmbeddingDim);
        }
        var tokenizer = network.Tokenizer;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [VocabularyMetadataKey] = string.Join("\n", tokenizer.Vocabulary),
            ["lower_case"] = tokenizer.LowerCase ? "true" : "false",
            ["max_length"] = tokenizer.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["uses_prototypes"] = network.UsePrototypes ? "true" : "false",
        };
        Write(
            graph.Build(
                "PRIOR report encoder: word-piece ids, attention mask and sentence index [N, L] → L2-normalised report embeddings.",
                metadata
            ),
            path
        );
    }

    /// <summary>
    /// Writes PRIOR's zero-shot classifier for <paramref name="classPrompts"/> (pixels → <see cref="ScoresOutput"/>
    /// [N, C], classes in the dictionary's order, also in the <see cref="ClassesMetadataKey"/> metadata): the prompts'
    /// report embeddings and sentence vectors are computed now and stored as constants; images are normalised with
    /// <paramref name="imageMean"/> and <paramref name="imageStd"/> (default: the network's zero-shot setting).
    /// </summary>
    public static void WriteZeroShotClassifier(
        PriorNetwork network,
        IReadOnlyDictionary<string, IReadOnlyList<string>> classPrompts,
        string path,
        float? imageMean = null,
        float? imageStd = null
    )
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(classPrompts);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        float mean = imageMean ?? network.Inference.ZeroShotImageMean,
            std = imageStd ?? network.Inference.ZeroShotImageStd;
        var model = network.Model;
        int size = model.Options.ImageSize;
        var graph = new OnnxGraphBuilder("prior_zero_shot");
        IReadOnlyList<string> classes;
        lock (network.Gate)
        {
            using var classifier = new ZeroShotClassifier(model, network.Tokenizer, network.UsePrototypes, classPrompts, mean, std);
            classes = classifier.Classes;
            using var guard = TorchGcGuard.Enter();
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var image = graph.Input(ImageInput, "N", 1, size, size);
            var (global, local) = OnnxNetworkWriter.ImageEncoder(graph, model, OnnxNetworkWriter.Normalise(graph, image, mean, std));
            graph.Output(
                ScoresOutput,
                ZeroShotScores(graph, model, classifier.PromptGlobal, classifier.PromptLocal, global, local),
                "N",
                classes.Count
            );
        }
        var metadata = Metadata(network, mean, std);
        metadata[ClassesMetadataKey] = JsonSerializer.Serialize(classes);
        Write(
            graph.Build(
                "PRIOR zero-shot classifier: gray images [N, 1, S, S] in [0, 1] → class scores [N, C] (softmax of the global logits + ½ "
                    + "softmax of the local ones).",
                metadata
            ),
            path
        );
    }

    // ZeroShotScoring.Score with the prompt side computed here: the normalised prompt embeddings times the raw
    // logit_scale, and the cross-attention's projections of the prompt sentences (scaled by 1/√D), become constants.
    private static string ZeroShotScores(
        OnnxGraphBuilder graph,
        PriorModel model,
        Tensor promptGlobal,
        Tensor promptLocal,
        string imageGlobal,
        string imageLocal
    )
    {
        long classes = promptGlobal.shape[0],
            prompts = promptGlobal.shape[1],
            d = promptGlobal.shape[2];
        var attention = model.local_cross_attention;
        double scale = 1.0 / Math.Sqrt(d);
        var promptMatrix = nn.functional.normalize(promptGlobal.reshape(-1, d), dim: -1).t() * model.logit_scale; // [D, C·P]
        var global = graph.Node(
            "MatMul",
            [OnnxNetworkWriter.L2Normalise(graph, imageGlobal, 1), graph.Weight("prompt_global_t", promptMatrix)]
        );
        var perClass = graph.Int64s("per_class", 0, classes, prompts);
        global = graph.Node("ReduceMax", [graph.Node("Reshape", [global, perClass])], ("axes", new long[] { 2 }), ("keepdims", 0L));

        var sentences = promptLocal.reshape(-1, d); // [C·P, D]
        var sentenceQueries = attention.query2.call(sentences) * scale; // [C·P, D]
        var sentenceKeys = attention.key2.call(sentences).t() * scale; // [D, C·P]
        var imageKeys = graph.Node(
            "Transpose",
            [OnnxNetworkWriter.Linear(graph, attention.key1, imageLocal, "key1")],
            ("perm", new long[] { 0, 2, 1 })
        );
        // [N, C·P, I]
        var sentenceToImage = graph.Node("Sigmoid", [graph.Node("MatMul", [graph.Weight("prompt_query2", sentenceQueries), imageKeys])]);
        var imageToSentence = graph.Node(
            "Sigmoid",
            [
                graph.Node(
                    "MatMul",
                    [OnnxNetworkWriter.Linear(graph, attention.query1, imageLocal, "query1"), graph.Weight("prompt_key2_t", sentenceKeys)]
                ),
            ]
        ); // [N, I, C·P]
        var local = graph.Node(
            "Add",
            [
                graph.Node("ReduceMean", [imageToSentence], ("axes", new long[] { 1 }), ("keepdims", 0L)),
                graph.Node("ReduceMean", [sentenceToImage], ("axes", new long[] { 2 }), ("keepdims", 0L)),
            ]
        );
        local = graph.Node("Mul", [local, graph.Scalar("half", 0.5f)]);
        local = graph.Node("ReduceMean", [graph.Node("Reshape", [local, perClass])], ("axes", new long[] { 2 }), ("keepdims", 0L));
        var localSoftmax = graph.Node("Mul", [graph.Node("Softmax", [local], ("axis", 1L)), graph.Scalar("local_weight", 0.5f)]);
        return graph.Node("Add", [graph.Node("Softmax", [global], ("axis", 1L)), localSoftmax]);
    }

    private static Dictionary<string, string> Metadata(PriorNetwork network, float mean, float std) =>
        new(StringComparer.Ordinal)
        {
            ["image_size"] = network.Model.Options.ImageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["image_mean"] = mean.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["image_std"] = std.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["image_input"] = "gray pixels / 255, [N, 1, S, S]; normalised inside the graph",
            ["uses_prototypes"] = network.UsePrototypes ? "true" : "false",
        };

    private static void Write(global::Onnx.ModelProto model, string path) =>
        AtomicFile.Write(Path.GetFullPath(path), stream => model.WriteTo(stream));
}
