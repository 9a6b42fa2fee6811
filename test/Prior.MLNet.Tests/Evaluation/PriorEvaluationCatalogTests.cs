using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Generation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Tests.Transforms;
using Prior.MLNet.Trainers;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Evaluation;

/// <summary>
/// <c>mlContext.PriorEvaluation()</c>: each evaluation's protocol, checked against an independent route to the same figure
/// (the public transformers and ML.NET's evaluators, or a count by hand).
/// </summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class PriorEvaluationCatalogTests
{
    private static readonly string[] Five = [.. ChexpertLabels.CompetitionFive];

    /// <summary>
    /// A 5 x N subset CSV from the synthetic train.csv: 30 frontal images, each made positive for one competition class
    /// (round robin), except 3 made positive for two and 2 for none.
    /// </summary>
    internal static (string Csv, int Single, int Multi, int None) SubsetWithMultiPositiveRows(string dir)
    {
        var lines = File.ReadAllLines(Path.Combine(SyntheticFixture.CheXpert, "train.csv"));
        var header = lines[0].Split(',');
        var columns = Five.Select(c => Array.IndexOf(header, c)).ToArray();
        var rows = lines.Skip(1).Where(l => l.Contains(",Frontal,", StringComparison.Ordinal)).Take(30).ToList();
        var written = new List<string> { lines[0] };
        for (int i = 0; i < rows.Count; i++)
        {
            var cells = rows[i].Split(',');
            foreach (var column in columns)
                cells[column] = "0.0";
            if (i < 25)
                cells[columns[i % 5]] = "1.0";
            if (i is 25 or 26 or 27)
                (cells[columns[0]], cells[columns[3]]) = ("1.0", "1.0"); // two positives: no single answer
            written.Add(string.Join(',', cells)); // 28, 29: none positive
        }
        var csv = Path.Combine(dir, "subset-5xN.csv");
        File.WriteAllLines(csv, written);
        return (csv, 25, 3, 2);
    }

    [TestMethod]
    public void ZeroShotScoresTheImagesPositiveForExactlyOneClassAndNamesTheOthers()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var (csv, _, multi, none) = SubsetWithMultiPositiveRows(dir);
        var ml = new MLContext(seed: 1);
        var network = TestNetwork.Instance;
        var images = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = SyntheticFixture.CheXpert, Csv = csv });

        var metrics = ml.PriorEvaluation().EvaluateZeroShot(network, images);
        // The single-class rows the loader kept (the synthetic set leaves a few images out on purpose), counted by hand.
        int single = ml
            .Data.CreateEnumerable<CheXpertImage>(images, false)
            .Count(i => Five.Count(c => i.Labels[ChexpertLabels.IndexOf(c)] == 1f) == 1);
        Assert.IsGreaterThanOrEqualTo(20, single);
        Assert.AreEqual(single, metrics.Scored);
        Assert.HasCount(multi + none, metrics.NotScored);
        Assert.IsTrue(metrics.NotScored.All(n => n.Reason == SkipReason.NotOneClass), string.Join("\n", metrics.NotScored));
        Assert.AreEqual(multi, metrics.NotScored.Count(n => n.Detail.StartsWith("positive for 2 of the 5", StringComparison.Ordinal)));
        CollectionAssert.AreEqual(Five, metrics.Classes.ToArray());
        Assert.AreEqual(0.2, metrics.Chance, 1e-12);

        // Independently: the single-class images through the public transformer and ML.NET's evaluator.
        var rows = ml
            .Data.CreateEnumerable<CheXpertImage>(images, false)
            .Select(i => (i.ImagePath, Positive: Five.Where(c => i.Labels[ChexpertLabels.IndexOf(c)] == 1f).ToList()))
            .Where(i => i.Positive.Count == 1)
            .Select(i => new LabelledPath { ImagePath = i.ImagePath, Label = i.Positive[0] })
            .ToList();
        Assert.HasCount(single, rows);
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = ml
            .Transforms.Conversion.MapValueToKey(
                "LabelKey",
                "Label",
                keyData: ml.Data.LoadFromEnumerable(Five.Select(c => new { Label = c }))
            )
            .Append(ml.Transforms.PriorZeroShotClassification(network, ZeroShotPrompts.For(network.PromptSet, Five)))
            .Fit(data)
            .Transform(data);
        var reference = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "LabelKey");
        Assert.AreEqual(reference.MicroAccuracy, metrics.Accuracy, 1e-12);
        Assert.AreEqual(reference.MacroAccuracy, metrics.Multiclass.MacroAccuracy, 1e-12);
        CollectionAssert.AreEqual(
            reference.ConfusionMatrix.Counts.SelectMany(r => r).ToArray(),
            metrics.Multiclass.ConfusionMatrix.Counts.SelectMany(r => r).ToArray()
        );
    }

    [TestMethod]
    public void ZeroShotRefusesByNameWhatItCannotScore()
    {
        var ml = new MLContext(seed: 1);
        var network = TestNetwork.Instance;
        var images = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = SyntheticFixture.CheXpert, Csv = "valid.csv" });
        var noPath = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.PriorEvaluation().EvaluateZeroShot(network, images, imagePathColumnName: "Image")
        );
        StringAssert.Contains(noPath.Message, "'Image'");
        var notALabel = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.PriorEvaluation().EvaluateZeroShot(network, images, new Dictionary<string, IReadOnlyList<string>> { ["Tumour"] = ["x"] })
        );
        StringAssert.Contains(notALabel.Message, "'Tumour' is not a CheXpert label");
        var wrongType = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.PriorEvaluation().EvaluateZeroShot(network, images, labelsColumnName: "Age")
        );
        StringAssert.Contains(wrongType.Message, "column 'Age' must be a vector of 14 floats");
    }

    private sealed class LabelledPath
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class EmbeddingPair
    {
        [VectorType(4)]
        public float[] ImageEmbedding { get; set; } = [];

        [VectorType(4)]
        public float[] ReportEmbedding { get; set; } = [];
    }

    [TestMethod]
    public void RetrievalFromTwoEmbeddingColumnsCountsAsAHandRankingDoes()
    {
        // Twelve reports and images near their own report for some rows and far for others, unnormalised, without ties.
        var random = new Random(5);
        float[] Vector() => Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var reports = Enumerable.Range(0, 12).Select(_ => Vector()).ToArray();
        var images = reports.Select((r, i) => r.Zip(Vector(), (a, b) => (i % 3 == 0 ? 0.1f : 3f) * a + b).ToArray()).ToArray();
        var nan = new float[] { float.NaN, 0, 0, 0 };
        var ml = new MLContext(seed: 1);
        var rows = reports.Select((r, i) => new EmbeddingPair { ImageEmbedding = images[i], ReportEmbedding = r }).ToList();
        rows.Add(new EmbeddingPair { ImageEmbedding = nan, ReportEmbedding = reports[0] }); // a skipped unreadable image: left out
        var metrics = ml.PriorEvaluation().EvaluateRetrieval(ml.Data.LoadFromEnumerable(rows));

        // By hand, in float64: rank of the own item among all, by cosine similarity.
        static double Cos(float[] a, float[] b) =>
            a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(y => (double)y * y));
        int n = reports.Length;
        int Rank(float[][] queries, float[][] items, int i) =>
            Enumerable.Range(0, n).Count(j => j != i && Cos(queries[i], items[j]) > Cos(queries[i], items[i]));
        double Share(Func<int, bool> hit) => Enumerable.Range(0, n).Count(hit) / (double)n;
        Assert.AreEqual(n, metrics.Pairs);
        Assert.AreEqual(Share(i => Rank(images, reports, i) == 0), metrics.ImageToTextP1, 1e-12);
        Assert.AreEqual(Share(i => Rank(images, reports, i) < 5), metrics.ImageToTextP5, 1e-12);
        Assert.AreEqual(Share(i => Rank(reports, images, i) == 0), metrics.TextToImageP1, 1e-12);
        Assert.AreEqual(Share(i => Rank(reports, images, i) < 5), metrics.TextToImageP5, 1e-12);
        Assert.AreEqual(1.0 / n, metrics.Chance, 1e-12);
        Assert.IsTrue(metrics.ImageToTextP1 is > 0 and < 1, $"the case is informative: {metrics}");

        var missing = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.PriorEvaluation().EvaluateRetrieval(ml.Data.LoadFromEnumerable(rows), reportEmbeddingColumnName: "Text")
        );
        StringAssert.Contains(missing.Message, "no column 'Text'");
    }

    [TestMethod]
    public void RetrievalOfTheEmbeddingTransformersEqualsTheHeldOutStudyRetrieval()
    {
        // The public route (two transformers, then the evaluation) and the commands' route over studies give one figure
        // when each study's report is its sentences and its image its first.
        var ml = new MLContext(seed: 1);
        var network = TestNetwork.Instance;
        var studies = TrainingFixture.Instance.Studies.Take(40).ToList();
        var data = ml.Data.LoadFromEnumerable(
            studies.Select(s => new StudyRow { ImagePath = s.ImagePaths[0], Sentences = [.. s.Sentences] }).ToList()
        );
        var embedded = ml
            .Transforms.PriorImageEmbedding(network)
            .Append(ml.Transforms.PriorReportEmbedding(network))
            .Fit(data)
            .Transform(data);
        var viaColumns = ml.PriorEvaluation().EvaluateRetrieval(embedded);
        var viaStudies = Retrieval.Evaluate(network.Model, network.Tokenizer, network.ImagePreprocessor, studies, network.UsePrototypes);
        Assert.AreEqual(viaStudies.ImageToTextP1, viaColumns.ImageToTextP1, 1e-12);
        Assert.AreEqual(viaStudies.ImageToTextP5, viaColumns.ImageToTextP5, 1e-12);
        Assert.AreEqual(viaStudies.TextToImageP1, viaColumns.TextToImageP1, 1e-12);
        Assert.AreEqual(40, viaColumns.Pairs);
    }

    private sealed class StudyRow
    {
        public string ImagePath { get; set; } = "";
        public string[] Sentences { get; set; } = [];
    }

    private sealed class DraftRow
    {
        public string ImagePath { get; set; } = "";
        public string Draft { get; set; } = "";
        public string Findings { get; set; } = "";
        public string Impression { get; set; } = "";
    }

    [TestMethod]
    public void DraftScoresOfIdenticalReportsArePerfectAndOfOppositeFindingsAreNot()
    {
        var ml = new MLContext(seed: 1);
        string[] effusion = ["There is a large left pleural effusion.", "The heart is enlarged."];
        string[] clear = ["No pleural effusion or pneumothorax.", "The heart size is normal."];
        var same = ml.Data.LoadFromEnumerable(
            new[]
            {
                new DraftRow { Draft = new ReportDraft(effusion, []).Text, Findings = string.Join(" ", effusion) },
            }
        );
        var perfect = ml.PriorEvaluation().EvaluateReportDrafts(same);
        Assert.AreEqual(1.0, perfect.Bleu4, 1e-9);
        Assert.AreEqual(1.0, perfect.RougeL, 1e-9);
        Assert.AreEqual(1.0, perfect.ChexpertF1, 1e-9);
        Assert.AreEqual(2.0, perfect.MeanSentences, 1e-9, "the FINDINGS header is not a sentence");
        Assert.AreEqual(1, perfect.Reports);

        var wrong = ml.PriorEvaluation()
            .EvaluateReportDrafts(
                ml.Data.LoadFromEnumerable(
                    new[]
                    {
                        new DraftRow { Draft = new ReportDraft(clear, []).Text, Findings = string.Join(" ", effusion) },
                    }
                )
            );
        Assert.AreEqual(0.0, wrong.ChexpertRecall, 1e-9, "a draft denying the reference's effusion and cardiomegaly finds neither");
        Assert.IsLessThan(0.5, wrong.RougeL);
    }

    [TestMethod]
    public void DraftScoresOfTheDraftTransformerEqualTheDemosDraftComparison()
    {
        var ml = new MLContext(seed: 1);
        var trained = TestNetwork.Instance;
        // A second handle on the shared model with a memory of 64 training reports (not disposed: the model is shared).
        static (IReadOnlyList<string> Findings, IReadOnlyList<string> Impression) Sections(TrainingStudy s) =>
            (s.Sentences.Skip(1).ToList(), s.Sentences.Take(1).ToList());
        var training = TrainingFixture.Instance.Studies.Take(64).Select(Sections).ToList();
        var network = new PriorNetwork(trained.Model, trained.Tokenizer, trained.UsePrototypes);
        network.SentenceMemory = SentenceMemory.Build(network, training);
        var studies = TrainingFixture.Instance.Studies.Skip(64).Take(12).ToList();
        var cases = studies
            .Select(s => new ReportDraftEvaluation.Case(s.ImagePaths[0], Sections(s).Findings, Sections(s).Impression))
            .ToList();
        var comparison = ReportDraftEvaluation.Evaluate(network, cases, training, [ReportDraftMethod.NearestReport]);

        var data = ml.Data.LoadFromEnumerable(
            studies
                .Select(s => new DraftRow
                {
                    ImagePath = s.ImagePaths[0],
                    Findings = string.Join(" ", Sections(s).Findings),
                    Impression = string.Join(" ", Sections(s).Impression),
                })
                .ToList()
        );
        var drafted = ml.Transforms.PriorReportDraft(network).Fit(data).Transform(data);
        var metrics = ml.PriorEvaluation().EvaluateReportDrafts(drafted);
        var expected = comparison.Of(ReportDraftMethod.NearestReport).Scores;
        Assert.AreEqual(expected.Bleu4, metrics.Bleu4, 1e-12);
        Assert.AreEqual(expected.RougeL, metrics.RougeL, 1e-12);
        Assert.AreEqual(expected.ChexpertF1, metrics.ChexpertF1, 1e-12);
        Assert.AreEqual(expected.ChexpertMacroF1, metrics.ChexpertMacroF1, 1e-12);
        Assert.AreEqual(12, metrics.Reports);
    }

    [TestMethod]
    public void TheDraftMethodComparisonReadsViewsAsTheDemoReadItsStudiesAndRefusesANetworkWithoutMemory()
    {
        var ml = new MLContext(seed: 1);
        var trained = TestNetwork.Instance;
        static (IReadOnlyList<string> Findings, IReadOnlyList<string> Impression) Sections(TrainingStudy s) =>
            (s.Sentences.Skip(1).ToList(), s.Sentences.Take(1).ToList());
        var network = new PriorNetwork(trained.Model, trained.Tokenizer, trained.UsePrototypes);
        var memory = TrainingFixture.Instance.Studies.Take(64).Select(Sections).ToList();
        network.SentenceMemory = SentenceMemory.Build(network, memory);
        DraftRow Row(TrainingStudy s) =>
            new()
            {
                ImagePath = s.ImagePaths[0],
                Findings = string.Join(" ", Sections(s).Findings),
                Impression = string.Join(" ", Sections(s).Impression),
            };
        var heldOut = TrainingFixture.Instance.Studies.Skip(64).Take(12).Select(Row).ToList();
        var training = TrainingFixture.Instance.Studies.Take(40).Select(Row).ToList();
        var comparison = ml.PriorEvaluation()
            .EvaluateReportDraftMethods(network, ml.Data.LoadFromEnumerable(heldOut), ml.Data.LoadFromEnumerable(training));

        // The demo's former route: its own sentence split of each section, straight into the draft evaluation.
        static IReadOnlyList<string> Split(string text) => MLNet.Data.Reports.SentenceSplitter.Split(text);
        var expected = ReportDraftEvaluation.Evaluate(
            network,
            heldOut.Select(r => new ReportDraftEvaluation.Case(r.ImagePath, Split(r.Findings), Split(r.Impression))).ToList(),
            training.Select(r => (Split(r.Findings), Split(r.Impression))).ToList(),
            Enum.GetValues<ReportDraftMethod>().Where(m => network.DraftingProblem(m) is null).ToList()
        );
        Assert.IsGreaterThanOrEqualTo(3, comparison.Names.Count, "at least two methods and the constant report");
        CollectionAssert.AreEqual(expected.Rows.Select(r => r.Name).ToArray(), comparison.Names.ToArray());
        foreach (var row in expected.Rows)
        {
            Assert.AreEqual(row.Scores.Bleu4, comparison.Metrics[row.Name].Bleu4, 1e-12, row.Name);
            Assert.AreEqual(row.Scores.RougeL, comparison.Metrics[row.Name].RougeL, 1e-12, row.Name);
            Assert.AreEqual(row.Scores.ChexpertMacroF1, comparison.Metrics[row.Name].ChexpertMacroF1, 1e-12, row.Name);
            Assert.AreEqual(row.Scores.ChexpertExampleF1, comparison.Metrics[row.Name].ChexpertExampleF1, 1e-12, row.Name);
            CollectionAssert.AreEqual(
                row.Drafts.Select(d => string.Join(" ", d.Sentences)).ToArray(),
                comparison.Drafts[row.Name].ToArray(),
                row.Name
            );
        }
        Assert.AreSame(comparison.Metrics[PriorReportDraftComparison.ConstantReportName], comparison.Constant);
        Assert.AreEqual(12, comparison.MetricsOf(ReportDraftMethod.NearestReport).Reports);
        Assert.IsTrue(comparison.Drafts[PriorReportDraftComparison.ConstantReportName].All(d => d == comparison.ConstantReport));

        var withoutMemory = new PriorNetwork(trained.Model, trained.Tokenizer, trained.UsePrototypes);
        var none = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.PriorEvaluation()
                .EvaluateReportDraftMethods(
                    withoutMemory,
                    ml.Data.LoadFromEnumerable(heldOut),
                    ml.Data.LoadFromEnumerable(training),
                    [ReportDraftMethod.NearestReport]
                )
        );
        StringAssert.Contains(none.Message, "no sentence memory");
    }

    [TestMethod]
    public void LinearProbeScoresEachFractionAndNamesTheLabelsItCannotScore()
    {
        var ml = new MLContext(seed: 1);
        var options = new CheXpertLoaderOptions
        {
            Root = SyntheticFixture.CheXpert,
            BlankLabel = 0,
            UncertainLabels = UncertaintyPolicy.Zeros,
        };
        var train = ml.Data.LoadCheXpert(options);
        var test = ml.Data.LoadCheXpert(
            new CheXpertLoaderOptions
            {
                Root = SyntheticFixture.CheXpert,
                Csv = "valid.csv",
                BlankLabel = 0,
                UncertainLabels = UncertaintyPolicy.Zeros,
            }
        );
        var progress = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source == "PriorEvaluation")
                lock (progress)
                    progress.Add(e.RawMessage);
        };
        var results = ml.PriorEvaluation().EvaluateLinearProbe(TestNetwork.Instance, train, test, [0.5, 1.0]);
        Assert.HasCount(2, results);
        Assert.IsTrue(progress.Any(l => l.StartsWith("linear probe at 50 %: ", StringComparison.Ordinal)), string.Join(" | ", progress));
        CollectionAssert.AreEqual(new[] { 0.5, 1.0 }, results.Select(r => r.Fraction).ToArray());
        foreach (var r in results)
        {
            CollectionAssert.AreEquivalent(Five, r.Auc.Keys.Concat(r.NotScored.Keys).ToArray(), "every label is scored or named");
            Assert.IsTrue(r.Auc.Values.All(a => a is >= 0 and <= 1), string.Join(", ", r.Auc));
        }
        Assert.IsNotEmpty(results[^1].Auc, "the synthetic labels leave something to score");
        var bad = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.PriorEvaluation().EvaluateLinearProbe(TestNetwork.Instance, train, test, labels: ["Tumour"])
        );
        StringAssert.Contains(bad.Message, "'Tumour' is not a CheXpert label");
    }

    [TestMethod]
    public void FineTuningScoresThePretrainedArmAsThePublicTrainerAndMLNetsEvaluatorDo()
    {
        var ml = new MLContext(seed: 1);
        var lines = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Source == "PriorEvaluation")
                lock (lines)
                    lines.Add(e.RawMessage);
        };
        CheXpertLoaderOptions Options(string csv) =>
            new()
            {
                Root = SyntheticFixture.CheXpert,
                Csv = csv,
                BlankLabel = 0,
                UncertainLabels = UncertaintyPolicy.Zeros,
            };
        var train = ml.Data.LoadCheXpert(Options("train.csv"));
        var test = ml.Data.LoadCheXpert(Options("valid.csv"));
        var training = new FineTuningOptions { Epochs = 2, BatchSize = 16 };
        var metrics = ml.PriorEvaluation().EvaluateFineTuning(TestNetwork.Instance, train, test, 0.5, [4, 5], training);
        CollectionAssert.AreEqual(new long[] { 4, 5 }, metrics.Seeds.ToArray());
        var trainRows = ml.Data.CreateEnumerable<CheXpertImage>(train, false).ToList();
        Assert.IsTrue(
            metrics.TrainingImages.All(n => n == (int)Math.Round(0.5 * trainRows.Count)),
            string.Join(", ", metrics.TrainingImages)
        );
        for (int i = 0; i < 2; i++)
        {
            CollectionAssert.AreEquivalent(
                Five,
                metrics
                    .PretrainedAuc[i]
                    .Keys.Concat(metrics.NotScored.Where(n => n.StartsWith($"seed {metrics.Seeds[i]}:")).Select(n => n.Split(": ")[1]))
                    .ToArray(),
                "every label is scored or named"
            );
            CollectionAssert.AreEquivalent(metrics.PretrainedAuc[i].Keys.ToArray(), metrics.RandomAuc[i].Keys.ToArray());
        }
        Assert.IsNotEmpty(metrics.PretrainedAuc[0], "the synthetic labels leave something to score");
        CollectionAssert.AreNotEqual(metrics.PretrainedMeanAuc.ToArray(), metrics.RandomMeanAuc.ToArray(), "two arms, two networks");
        Assert.IsTrue(
            lines.Any(l => l.StartsWith("seed 4: ", StringComparison.Ordinal) && l.Contains("from random weights")),
            string.Join(" | ", lines)
        );

        // The independent route: seed 4's images through the public trainer from the same network, scored per label by
        // ML.NET's own evaluator, give the pretrained arm's AUCs.
        var chosen = LabelFraction.Choose(trainRows.Count, 0.5, 4).Select(k => trainRows[k]).ToList();
        var labels = Five.Select(ChexpertLabels.IndexOf).ToList();
        var rows = chosen.Select(r => new LabelledImage { ImagePath = r.ImagePath, Labels = [.. labels.Select(k => r.Labels[k])] });
        using var model = ml
            .BinaryClassification.Trainers.PriorImageClassification(
                new PriorImageClassificationOptions
                {
                    Pretrained = TestNetwork.Instance,
                    LabelNames = Five,
                    Training = training with { Seed = 4 },
                }
            )
            .Fit(ml.Data.LoadFromEnumerable(rows));
        var testRows = ml
            .Data.CreateEnumerable<CheXpertImage>(test, false)
            .Select(r => new LabelledImage { ImagePath = r.ImagePath, Labels = [.. labels.Select(k => r.Labels[k])] })
            .ToList();
        var byLabel = ml.BinaryClassification.EvaluatePriorImageClassification(model.Transform(ml.Data.LoadFromEnumerable(testRows)));
        foreach (var (label, auc) in metrics.PretrainedAuc[0])
            Assert.AreEqual(byLabel[label].AreaUnderRocCurve, auc, 1e-9, label);

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.PriorEvaluation().EvaluateFineTuning(TestNetwork.Instance, train, test, fraction: 0)
        );
        var bad = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.PriorEvaluation().EvaluateFineTuning(TestNetwork.Instance, train, test, labels: ["Tumour"])
        );
        StringAssert.Contains(bad.Message, "'Tumour' is not a CheXpert label");
    }

    private sealed class LabelledImage
    {
        public string ImagePath { get; set; } = "";

        [VectorType(5)]
        public float[] Labels { get; set; } = [];
    }

    [TestMethod]
    public void EveryPathNormalisesImagesAsTheNetworkSays()
    {
        // Imported official weights embed with CheXpert's normalisation, ours with MIMIC-CXR's: embedding, retrieval and
        // drafting take the network's preprocessor, so a study's image embeds alike on each path.
        var trained = TestNetwork.Instance;
        // A second handle on the shared model (not disposed: that would free the model the other tests use).
        var official = new PriorNetwork(trained.Model, trained.Tokenizer, trained.UsePrototypes, PriorInferenceSettings.Original);
        Assert.AreNotEqual(PriorInferenceSettings.Default.ImageMean, official.Inference.ImageMean, "the case is informative");
        var preprocessor = official.ImagePreprocessor;
        Assert.AreEqual(official.Inference.ImageMean, preprocessor.Mean);
        Assert.AreEqual(official.Inference.ImageStd, preprocessor.Std);

        var ml = new MLContext(seed: 1);
        var studies = TrainingFixture.Instance.Studies.Take(3).ToList();
        var data = ml.Data.LoadFromEnumerable(
            studies.Select(s => new StudyRow { ImagePath = s.ImagePaths[0], Sentences = [.. s.Sentences] }).ToList()
        );
        var viaTransformer = ml
            .Data.CreateEnumerable<EmbeddedRow>(ml.Transforms.PriorImageEmbedding(official).Fit(data).Transform(data), false)
            .Select(r => r.ImageEmbedding)
            .ToList();
        var (images, reports) = Retrieval.Embed(official.Model, official.Tokenizer, official.ImagePreprocessor, studies, false);
        using (images)
        using (reports)
        {
            var viaRetrieval = images.data<float>().ToArray();
            for (int i = 0; i < studies.Count; i++)
            for (int d = 0; d < official.EmbeddingDim; d++)
                Assert.AreEqual(viaTransformer[i][d], viaRetrieval[i * official.EmbeddingDim + d], 1e-5, $"study {i}, dimension {d}");
        }
        CollectionAssert.AreEqual(official.LoadImage(studies[0].ImagePaths[0]), preprocessor.Load(studies[0].ImagePaths[0], null));
    }

    private sealed class EmbeddedRow
    {
        public float[] ImageEmbedding { get; set; } = [];
    }

    private sealed class SentenceRow
    {
        [VectorType]
        public string[] Sentences { get; set; } = [];
    }

    [TestMethod]
    public void PrototypesAreScoredAgainstTheGivenTypesWithTheUntypedCountedAndKnownIdentitiesHeld()
    {
        var ml = new MLContext(seed: 1);
        var network = TestNetwork.Instance;
        var reports = ml.Data.LoadFromEnumerable(
            TrainingFixture.Instance.Studies.Take(24).Select(s => new SentenceRow { Sentences = [.. s.Sentences] }).ToList()
        );
        var sentences = TrainingFixture.Instance.Studies.Take(24).SelectMany(s => s.Sentences).ToList();
        // Type every other distinct sentence by its first word; the rest are untyped, left out and counted.
        var distinct = sentences.Distinct(StringComparer.Ordinal).ToList();
        var types = distinct.Where((_, i) => i % 2 == 0).ToDictionary(t => t, t => t.Split(' ')[0], StringComparer.Ordinal);
        int typed = sentences.Count(types.ContainsKey);
        var evaluation = ml.PriorEvaluation();
        foreach (bool inside in new[] { false, true })
        {
            var metrics = evaluation.EvaluatePrototypes(network, reports, types, insideReports: inside);
            Assert.AreEqual(inside, metrics.InsideReports);
            Assert.AreEqual(typed, metrics.Sentences + metrics.UnencodedSentences, "every typed sentence, each occurrence");
            Assert.IsLessThan(typed / 10, metrics.UnencodedSentences, "few sentences the tokenizer cannot place");
            Assert.AreEqual(sentences.Count - typed, metrics.UntypedSentences);
            Assert.IsTrue(metrics.Purity is > 0 and <= 1 && metrics.ShuffledPurity is > 0 and <= 1, $"purity {metrics.Purity}");
            Assert.IsGreaterThanOrEqualTo(1, metrics.PrototypesUsed);
            Assert.IsLessThanOrEqualTo(metrics.Sentences, metrics.MostUsed.Sum(p => p.Sentences));
            Assert.IsTrue(metrics.MostUsed.All(p => p.NearestSentences.Count == 3 && p.MajorityShare is > 0 and <= 1));
        }
        // A known identity: with one type for every sentence, any assignment is pure (1) and tells nothing of the type
        // (NMI 0), shuffled or not.
        var one = distinct.ToDictionary(t => t, _ => "any", StringComparer.Ordinal);
        var single = evaluation.EvaluatePrototypes(network, reports, one, insideReports: false);
        Assert.AreEqual(1.0, single.Purity, 1e-12);
        Assert.AreEqual(1.0, single.ShuffledPurity, 1e-12);
        Assert.AreEqual(0.0, single.Nmi, 1e-9);
        Assert.AreEqual(0, single.UntypedSentences);
        // No typed sentence: refused, naming the column.
        var none = Assert.Throws<ArgumentException>(() =>
            evaluation.EvaluatePrototypes(network, reports, new Dictionary<string, string> { ["no such sentence"] = "x" })
        );
        StringAssert.Contains(none.Message, "'Sentences'");
    }
}
