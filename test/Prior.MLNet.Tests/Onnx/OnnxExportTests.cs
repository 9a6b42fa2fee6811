using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Onnx;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Onnx;

[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class OnnxExportTests
{
    private const double Tolerance = 1e-4;

    // Networks of each preset from random weights, with BatchNorm statistics and affine parameters drawn too: at their
    // initial values (mean 0, variance 1, weight 1, bias 0) BatchNorm is nearly the identity and a wrong export of it
    // (epsilon, argument order) would go unseen. The local cross-attention's query and key weights are scaled up so that
    // its sigmoid attention differs between classes: at initial scale every class gets nearly the same local score,
    // and its softmax would hide a wrong local term.
    private static readonly Dictionary<string, Lazy<PriorNetwork>> Random = new[] { "tiny", "small", "paper" }.ToDictionary(
        p => p,
        p => new Lazy<PriorNetwork>(() => RandomNetwork(p), LazyThreadSafetyMode.ExecutionAndPublication)
    );

    private static PriorNetwork RandomNetwork(string preset)
    {
        manual_seed(11);
        var tokenizer = TrainingFixture.Instance.Tokenizer;
        var model = new PriorModel(PriorModelOptions.FromPreset(preset), tokenizer.VocabularySize);
        using (no_grad())
        {
            foreach (var (name, module) in model.image_encoder.named_modules())
                if (module is TorchSharp.Modules.BatchNorm2d bn)
                {
                    bn.running_mean!.copy_(randn_like(bn.running_mean) * 0.1);
                    bn.running_var!.copy_(rand_like(bn.running_var) * 0.5 + 0.75);
                    bn.weight!.copy_(rand_like(bn.weight) * 0.5 + 0.75);
                    bn.bias!.copy_(randn_like(bn.bias) * 0.1);
                }
            var attention = model.local_cross_attention;
            foreach (var projection in new[] { attention.query1, attention.key1, attention.query2, attention.key2 })
                projection.weight!.mul_(8);
        }
        return new PriorNetwork(model, tokenizer, usePrototypes: false);
    }

    [TestMethod]
    [DataRow("tiny")]
    [DataRow("small")]
    [DataRow("paper")]
    public void ImageEncoderMatchesTorchSharpWithin1e4(string preset)
    {
        var network = Random[preset].Value;
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "encoder.onnx");
        PriorOnnxExport.WriteImageEncoder(network, path, includeLocal: true);

        var pixels = OnnxCheck.Pixels(network.Model.Options.ImageSize, 3, seed: 2);
        var (global, local) = network.EmbedImages(
            OnnxCheck.Normalised(pixels, network.Inference.ImageMean, network.Inference.ImageStd),
            local: true
        );
        var outputs = Run(path, pixels, network.Model.Options.ImageSize);
        AssertClose(global, outputs[PriorOnnxExport.EmbeddingOutput], $"{preset} global embedding");
        AssertClose(local!, outputs[PriorOnnxExport.LocalEmbeddingsOutput], $"{preset} local embeddings");
    }

    [TestMethod]
    [DataRow("tiny")]
    [DataRow("small")]
    [DataRow("paper")]
    public void ReportEncoderMatchesTorchSharpWithin1e4(string preset) => CheckReports(Random[preset].Value, preset);

    [TestMethod]
    public void ReportEncoderOfATrainedNetworkWithPrototypesMatches()
    {
        Assert.IsTrue(TestNetwork.Instance.UsePrototypes);
        CheckReports(TestNetwork.Instance, "trained tiny");
    }

    [TestMethod]
    public void ReportEncoderWithACenteredCosineBankMatches()
    {
        // The centred-cosine bank's logits: the centre is drawn away from zero (at zero the export could
        // skip the subtraction unseen), the prototypes scattered around it.
        manual_seed(12);
        var tokenizer = TrainingFixture.Instance.Tokenizer;
        var model = new PriorModel(
            PriorModelOptions.Tiny with
            {
                PrototypeLogits = PrototypeLogits.CenteredCosine,
                PrototypeLogitScale = 7,
            },
            tokenizer.VocabularySize
        );
        using (no_grad())
        {
            var bank = model.sentence_bank;
            bank.center!.copy_(randn_like(bank.center) * 0.5);
            bank.embed.weight!.copy_(bank.center + randn_like(bank.embed.weight!) * 0.2);
        }
        CheckReports(new PriorNetwork(model, tokenizer, usePrototypes: true), "tiny, centred-cosine bank");
    }

    private static void CheckReports(PriorNetwork network, string what)
    {
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "reports.onnx");
        PriorOnnxExport.WriteReportEncoder(network, path);
        // Reports of one to many sentences in one batch: padding, sentence masks and the pooling's key mask all matter.
        var reports = TrainingFixture
            .Instance.Studies.Skip(200)
            .Take(5)
            .Select((s, i) => (IReadOnlyList<string>)s.Sentences.Take(1 + 2 * i).ToList())
            .ToList();
        double largest = OnnxCheck.ReportEncoder(network, path, reports);
        Assert.IsLessThanOrEqualTo(
            Tolerance,
            largest,
            $"{what} report embeddings: largest difference {largest:E2} between TorchSharp and ONNX Runtime"
        );
        using var session = new InferenceSession(path);
        var vocabulary = session.ModelMetadata.CustomMetadataMap[PriorOnnxExport.VocabularyMetadataKey].Split('\n');
        CollectionAssert.AreEqual(network.Tokenizer.Vocabulary.ToArray(), vocabulary);
    }

    [TestMethod]
    [DataRow("tiny")]
    [DataRow("small")]
    [DataRow("paper")]
    public void ZeroShotClassifierMatchesTorchSharpWithin1e4(string preset)
    {
        var network = Random[preset].Value;
        CheckZeroShot(network, ZeroShotPrompts.CheXpert5, preset);
    }

    [TestMethod]
    public void ZeroShotClassifierOfATrainedNetworkWithPrototypesMatches()
    {
        // Trained (stages 1–2) and scoring through the prototype bank: the prompt constants come from prototypes.
        var network = TestNetwork.Instance;
        Assert.IsTrue(network.UsePrototypes);
        CheckZeroShot(network, ZeroShotPrompts.Original(["Edema", "Cardiomegaly", "Pleural Effusion"]), "trained tiny");
    }

    private static void CheckZeroShot(PriorNetwork network, IReadOnlyDictionary<string, IReadOnlyList<string>> prompts, string what)
    {
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "zeroshot.onnx");
        PriorOnnxExport.WriteZeroShotClassifier(network, prompts, path);
        int size = network.Model.Options.ImageSize;
        var pixels = OnnxCheck.Pixels(size, 4, seed: 3);
        using var classifier = ZeroShotClassifier.For(network, prompts);
        var expected = classifier.ScorePixels(
            OnnxCheck.Normalised(pixels, network.Inference.ZeroShotImageMean, network.Inference.ZeroShotImageStd)
        );
        AssertClose(expected, Run(path, pixels, size)[PriorOnnxExport.ScoresOutput], $"{what} zero-shot scores");

        using var session = new InferenceSession(path);
        var classes = JsonSerializer.Deserialize<string[]>(session.ModelMetadata.CustomMetadataMap[PriorOnnxExport.ClassesMetadataKey]);
        CollectionAssert.AreEqual(prompts.Keys.ToArray(), classes);
    }

    private sealed class PixelRow
    {
        public string ImagePath { get; set; } = string.Empty;

        [VectorType(1, 64, 64)]
        public float[] image { get; set; } = [];
    }

    private sealed class ScoreRow
    {
        [VectorType]
        public float[] scores { get; set; } = [];
    }

    private sealed class PriorScoreRow
    {
        [VectorType]
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    [TestMethod]
    public void ApplyOnnxModelInAnMLNetPipelineGivesThePriorTransformersPredictions()
    {
        var network = TestNetwork.Instance;
        int size = network.Model.Options.ImageSize;
        Assert.AreEqual(64, size, "PixelRow's vector type is declared for the tiny preset");
        var prompts = ZeroShotPrompts.CheXpert5;
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "zeroshot.onnx");
        PriorOnnxExport.WriteZeroShotClassifier(network, prompts, path);

        // The pixels PRIOR's own preprocessing makes, left in [0, 1] (mean 0, std 1): the graph normalises them.
        var raw = new ImagePreprocessor(size, mean: 0, std: 1);
        var images = TrainingFixture.Instance.Studies.Skip(100).Take(24).Select(s => s.ImagePaths[0]).ToList();
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.LoadFromEnumerable(images.Select(p => new PixelRow { ImagePath = p, image = raw.Load(p, null) }));
        var onnx = ml
            .Transforms.ApplyOnnxModel(
                outputColumnNames: [PriorOnnxExport.ScoresOutput],
                inputColumnNames: [PriorOnnxExport.ImageInput],
                modelFile: path
            )
            .Fit(rows);
        var onnxScores = ml.Data.CreateEnumerable<ScoreRow>(onnx.Transform(rows), reuseRowObject: false).Select(r => r.scores).ToList();

        var prior = ml.Transforms.PriorZeroShotClassification(network, prompts).Fit(rows);
        var priorRows = ml.Data.CreateEnumerable<PriorScoreRow>(prior.Transform(rows), reuseRowObject: false).ToList();

        Assert.HasCount(images.Count, onnxScores);
        for (int i = 0; i < images.Count; i++)
        {
            AssertClose([priorRows[i].Score], [onnxScores[i]], $"row {i}");
            int argmax = Array.IndexOf(onnxScores[i], onnxScores[i].Max());
            Assert.AreEqual((uint)argmax + 1, priorRows[i].PredictedLabel, $"row {i}: ONNX and PRIOR predict different classes");
        }
    }

    [TestMethod]
    public void WritingIsAtomicAndRejectsNothingHalfWritten()
    {
        var folder = SyntheticFixture.NewTempFolder();
        var path = Path.Combine(folder, "encoder.onnx");
        PriorOnnxExport.WriteImageEncoder(TestNetwork.Instance, path);
        CollectionAssert.AreEqual(
            new[] { "encoder.onnx" },
            Directory.GetFiles(folder).Select(Path.GetFileName).ToArray(),
            "no temporary file is left behind"
        );
        using var session = new InferenceSession(path);
        Assert.AreEqual(PriorOnnxExport.ImageInput, session.InputMetadata.Keys.Single());
        CollectionAssert.AreEqual(new[] { -1, 1, 64, 64 }, session.InputMetadata[PriorOnnxExport.ImageInput].Dimensions);
        Assert.AreEqual(PriorOnnxExport.EmbeddingOutput, session.OutputMetadata.Keys.Single());
    }

    private static Dictionary<string, float[][]> Run(string path, float[][] pixels, int size)
    {
        using var session = new InferenceSession(path);
        return OnnxCheck.RunImages(session, pixels, size);
    }

    private static void AssertClose(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, string what)
    {
        Assert.HasCount(expected.Count, actual, what);
        double worst = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.HasCount(expected[i].Length, actual[i], $"{what}, row {i}");
            for (int j = 0; j < expected[i].Length; j++)
                worst = Math.Max(worst, Math.Abs(expected[i][j] - actual[i][j]));
        }
        Assert.IsLessThanOrEqualTo(Tolerance, worst, $"{what}: largest difference {worst:E2} between TorchSharp and ONNX Runtime");
    }
}
