using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Generation;
using Prior.MLNet.IO;
using Prior.MLNet.Synthetic;
using Prior.MLNet.Tool.Report;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior demo</c>: the whole story on the synthetic default, through the public API: synthetic MIMIC-CXR and
/// CheXpert, the pretraining index, the 5x200 set, <c>mlContext.Transforms.PriorPretrain</c>, then zero-shot
/// classification (ML.NET metrics), linear probing and retrieval, and a report folder with pictures.
/// </summary>
internal static class DemoCommand
{
    /// <summary>The demo's sizes: the tiny preset's 64 px images, enough studies and epochs to learn on 2 cores in minutes.</summary>
    /// <param name="Studies">Synthetic MIMIC-CXR studies.</param>
    /// <param name="CheXpertImages">Synthetic CheXpert images.</param>
    /// <param name="ImageSize">Side of the images and of the network's input.</param>
    /// <param name="Epochs">Epochs of stages 1, 2, 3; null: 32, 4, 4.</param>
    /// <param name="Recipe">How stages 2-3 train: <see cref="PriorRecipe.Decoupled"/> (default; the towers end where 40
    /// epochs of stage 1 alone take them, and the bank and the decoders learn beside them) or
    /// <see cref="PriorRecipe.Original"/>, the original's coupled stages, which cost zero-shot accuracy and retrieval at
    /// this scale (docs/training.md).</param>
    /// <param name="Seed">Seed of pretraining (weights, data order, noise); the synthetic data stay the same.</param>
    internal sealed record Settings(
        int Studies = 2000,
        int CheXpertImages = 2600,
        int ImageSize = 64,
        int[]? Epochs = null,
        PriorRecipe Recipe = PriorRecipe.Decoupled,
        int Seed = 1
    )
    {
        public int[] StageEpochs => Epochs ?? [32, 4, 4];
    }

    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "Working folder for the data, the model and the report.",
            DefaultValueFactory = _ => Path.Combine("out", "demo"),
        };
        var json = new Option<string?>("--json") { Description = "Write every figure as one flat JSON object." };
        var studies = new Option<int>("--studies")
        {
            Description = "Synthetic MIMIC-CXR studies.",
            DefaultValueFactory = _ => new Settings().Studies,
        };
        var epochs = new Option<string?>("--epochs")
        {
            Description = "Epochs of stages 1,2,3 (default 32,4,4; 40,0,0 trains stage 1 alone: see docs/training.md).",
        };
        var imageSize = new Option<int>("--image-size")
        {
            Description =
                "Side of the synthetic images and of the network's input (a multiple of 32; the attention maps are size/32 patches a "
                + "side).",
            DefaultValueFactory = _ => new Settings().ImageSize,
        };
        var coupled = new Option<bool>("--coupled")
        {
            Description =
                "Train stages 2-3 the original's way, coupled to the towers (default: decoupled, with a centred-cosine bank: --decoupled "
                + "--keep-optimizer --schedule continuous --bank-start kmeans --restart-unused --bank-logits centered-cosine of 'prior "
                + "pretrain'; docs/training.md).",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of pretraining (weights, data order, noise); the synthetic data do not change with it.",
            DefaultValueFactory = _ => new Settings().Seed,
        };
        var command = new Command(
            "demo",
            "Run the end-to-end demo on the synthetic default and write a report (example: prior demo --out out/demo)."
        )
        {
            output,
            json,
            studies,
            epochs,
            imageSize,
            coupled,
            seed,
        };
        command.SetAction(parse => CommandRunner.Run("demo", () =>
            {
                var e = parse.GetValue(epochs)?.Split(',').Select(int.Parse).ToArray();
                var figures = Run(
                    Path.GetFullPath(parse.GetValue(output)!),
                    new Settings(
                        Studies: parse.GetValue(studies),
                        ImageSize: parse.GetValue(imageSize),
                        Epochs: e,
                        Recipe: parse.GetValue(coupled) ? PriorRecipe.Original : PriorRecipe.Decoupled,
                        Seed: parse.GetValue(seed)
                    )
                );
                if (parse.GetValue(json) is { } path)
                    AtomicFile.WriteText(path, w => w.Write(Json(figures)));
                return 0;
            }));
        return command;
    }

    // The figures as JSON, and which drafting method the draft* figures are of (the default, PriorReportDraft's).
    private static string Json(Dictionary<string, double> figures)
    {
        var json = figures.ToDictionary(kv => kv.Key, kv => (object)kv.Value);
        if (figures.ContainsKey("draftChexpertF1"))
        {
            json["draftMethod"] = EnumOption.Text(DefaultDraftMethod);
            json["chexpertF1Convention"] = PriorReportDraftMetrics.ChexpertF1Convention;
        }
        return JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Runs the demo and returns its figures (flat, camelCase).</summary>
    internal static Dictionary<string, double> Run(string root, Settings settings)
    {
        var clock = Stopwatch.StartNew();
        var report = Path.Combine(root, "report");
        Directory.CreateDirectory(report);
        var prepared = Prepare(root, settings, "1/8", "2/8");
        var (manifest, indexSummary, index, chexpert, subsetPath) = (
            prepared.Manifest,
            prepared.IndexSummary,
            prepared.Index,
            prepared.CheXpert,
            prepared.Subset
        );

        Console.WriteLine(
            $"3/8 mlContext.Transforms.PriorPretrain (tiny preset at {settings.ImageSize} px, epochs "
                + $"{string.Join(",", settings.StageEpochs)}) on the train split"
        );
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = index, Splits = ["train"] });
        var pretrained = LiveProgress.Run(
            "pretrain",
            "steps",
            0,
            live =>
                ml.Transforms.PriorPretrain(
                        new PriorPretrainOptions
                        {
                            Preset = PriorPreset.Tiny,
                            ImageSize = settings.ImageSize,
                            EpochsPerStage = settings.StageEpochs,
                            Recipe = settings.Recipe,
                            Seed = settings.Seed,
                            Progress = p =>
                            {
                                live.ReportTraining(p, settings.StageEpochs);
                                if (p.Step + 1 == p.StepsPerEpoch)
                                    live.Line($"    {p}");
                            },
                        }
                    )
                    .Fit(train),
            milestones: false
        );
        var modelPath = Path.Combine(root, "prior-tiny.zip");
        pretrained.Network.Save(modelPath);
        pretrained.Network.Dispose();
        using var network = PriorNetwork.Load(modelPath); // evaluate what was saved

        Console.WriteLine("4/8 zero-shot classification of CheXpert 5x200 (mlContext.PriorEvaluation().EvaluateZeroShot)");
        var classes = ChexpertLabels.CompetitionFive;
        var subsetView = ml.Data.LoadCheXpert(new CheXpertLoaderOptions { Root = chexpert, Csv = subsetPath });
        // The one 5x200 protocol (prior zero-shot and the ablations score through it too).
        var zeroShot = ml.PriorEvaluation().EvaluateZeroShot(network, subsetView);
        var metrics = zeroShot.Multiclass;
        var confusion = metrics.ConfusionMatrix.Counts;
        double macroF1 = zeroShot.MacroF1,
            kappa = zeroShot.Kappa;
        Console.WriteLine(
            $"    accuracy {metrics.MicroAccuracy:0.000} (chance {zeroShot.Chance:0.000}) on {zeroShot.Scored} images, macro F1 "
                + $"{macroF1:0.000}, kappa {kappa:0.000}"
                + (zeroShot.NotScored.Count > 0 ? $"; {zeroShot.NotScored.Count} not scored (not positive for exactly one class)" : "")
        );

        Console.WriteLine("5/8 linear probe (ML.NET L-BFGS logistic regression on frozen image embeddings)");
        var probes = Evaluations.LinearProbe(network, chexpert, [0.01, 0.1, 1.0]);
        foreach (var p in probes)
            Console.WriteLine($"    {p.Fraction:P0} of labels: mean AUC {p.MeanAuc:0.000}");

        Console.WriteLine("6/8 image-report retrieval on the held-out MIMIC-CXR studies");
        var retrieval = Evaluations.Retrieval(network, index);
        Console.WriteLine(
            $"    image->text P@1 {retrieval.ImageToTextP1:0.000} (chance {retrieval.Chance:0.000}), P@5 "
                + $"{retrieval.ImageToTextP5:0.000}, text->image P@1 {retrieval.TextToImageP1:0.000}"
        );

        var extra = new Dictionary<string, double>();
        var epochs = settings.StageEpochs;
        Console.WriteLine("7/8 what the sentence prototypes mean (held-out sentences typed by the generator)");
        if (epochs[1] + epochs[2] > 0)
        {
            // Encoded alone, a sentence is not what the bank sees in training (the text tower is contextual): both.
            var (analysis, inReports) = Evaluations.Prototypes(network, index, Path.Combine(root, "data", SyntheticSentenceType.FileName));
            Console.WriteLine(
                $"    each encoded alone: {analysis.Sentences} sentences ({analysis.UntypedSentences} untyped, "
                    + $"{analysis.UnencodedSentences} without tokens left out) on {analysis.PrototypesUsed} of "
                    + $"{network.Model.Options.Prototypes} prototypes: "
                    + $"purity {analysis.Purity:0.000} (shuffled {analysis.ShuffledPurity:0.000}), NMI {analysis.Nmi:0.000} (shuffled "
                    + $"{analysis.ShuffledNmi:0.000})"
            );
            extra["prototypePurity"] = analysis.Purity;
            extra["prototypeNmi"] = analysis.Nmi;
            extra["prototypePurityShuffled"] = analysis.ShuffledPurity;
            extra["prototypeNmiShuffled"] = analysis.ShuffledNmi;
            Console.WriteLine(
                $"    inside their reports: {inReports.Sentences} sentences on {inReports.PrototypesUsed} prototypes: "
                    + $"purity {inReports.Purity:0.000} (shuffled {inReports.ShuffledPurity:0.000}), NMI {inReports.Nmi:0.000} (shuffled "
                    + $"{inReports.ShuffledNmi:0.000})"
            );
            extra["prototypePurityInReports"] = inReports.Purity;
            extra["prototypeNmiInReports"] = inReports.Nmi;
            extra["prototypePurityInReportsShuffled"] = inReports.ShuffledPurity;
            extra["prototypeNmiInReportsShuffled"] = inReports.ShuffledNmi;
            extra["prototypesUsedInReports"] = inReports.PrototypesUsed;
            WritePrototypes(report, analysis);
        }
        else
        {
            Console.WriteLine("    skipped: stages 2-3 were not trained");
        }
        Console.WriteLine("8/8 reports drafted from held-out images (PriorReportDraft's methods) against a constant report");
        PriorReportDraftComparison? draftComparison = null;
        IReadOnlyList<HtmlReport.DraftExample> draftExamples = [];
        if (network.SentenceMemory is not null)
        {
            var drafts = Evaluations.Drafts(network, index, includePrototype: epochs[2] > 0);
            draftComparison = drafts;
            Console.WriteLine("    method            BLEU-4  ROUGE-L  CheXpert F1 micro  macro  example  sentences");
            foreach (var name in drafts.Names)
            {
                var scores = drafts.Metrics[name];
                Console.WriteLine(
                    FormattableString.Invariant($"    {(name == DefaultDraftName ? name + " *" : name), -16}  {scores.Bleu4, 6:0.000}  ")
                        + FormattableString.Invariant(
                            $"{scores.RougeL, 7:0.000}  {scores.ChexpertF1, 17:0.000}  {scores.ChexpertMacroF1, 5:0.000}  "
                        )
                        + FormattableString.Invariant($"{scores.ChexpertExampleF1, 7:0.000}  ")
                        + FormattableString.Invariant($"{scores.MeanSentences, 9:0.0}")
                );
            }
            Console.WriteLine(
                "    (* the default method; CheXpert F1 by the labeler's chexpert conventions, macro and example-based as "
                    + "scikit-learn's with zero_division=0)"
            );
            Console.WriteLine(
                settings.Recipe == PriorRecipe.Decoupled
                    ? "    stages 2-3 give the prototype drafts (row 'prototype') and the prototypes above; the embeddings, zero-shot, "
                        + "retrieval and the default drafts are stage 1's under this (decoupled) recipe"
                    : "    stages 2-3 trained coupled to the towers (the original's recipe): every figure above is the three "
                        + "stages' together"
            );
            var chosen = drafts.MetricsOf(DefaultDraftMethod);
            extra["draftBleu4"] = chosen.Bleu4;
            extra["draftRougeL"] = chosen.RougeL;
            extra["draftChexpertF1"] = chosen.ChexpertF1;
            extra["draftChexpertMacroF1"] = chosen.ChexpertMacroF1;
            extra["draftChexpertExampleF1"] = chosen.ChexpertExampleF1;
            foreach (
                var (key, row) in new[]
                {
                    ("nearestReport", drafts.MetricsOf(ReportDraftMethod.NearestReport)),
                    ("constantReport", drafts.Constant),
                }
            )
            {
                extra[key + "Bleu4"] = row.Bleu4;
                extra[key + "RougeL"] = row.RougeL;
                extra[key + "ChexpertF1"] = row.ChexpertF1;
                extra[key + "ChexpertMacroF1"] = row.ChexpertMacroF1;
                extra[key + "ChexpertExampleF1"] = row.ChexpertExampleF1;
            }
            if (epochs[2] > 0)
            {
                var prototype = drafts.MetricsOf(ReportDraftMethod.Prototype);
                extra["prototypeDraftBleu4"] = prototype.Bleu4;
                extra["prototypeDraftRougeL"] = prototype.RougeL;
                extra["prototypeDraftChexpertF1"] = prototype.ChexpertF1;
                extra["prototypeDraftChexpertMacroF1"] = prototype.ChexpertMacroF1;
                extra["prototypeDraftChexpertExampleF1"] = prototype.ChexpertExampleF1;
            }
            draftExamples = WriteDrafts(report, index, drafts);
        }
        else
        {
            Console.WriteLine("    skipped: the model has no sentence memory");
        }
        var labeler = Evaluations.LabelerF1(index);
        extra["labelerMacroF1"] = labeler.Values.Average();
        Console.WriteLine(
            $"    report labeler against the generator's labels: macro F1 {extra["labelerMacroF1"]:0.000} over {labeler.Count} labels"
        );

        // The report.
        var history = pretrained.TrainingResult!.History;
        Charts.LossCurves(
            Path.Combine(report, "loss-curves.png"),
            history
                .GroupBy(h => h.Stage)
                .Select(g =>
                    (
                        $"stage {(int)g.Key}",
                        (IReadOnlyDictionary<string, IReadOnlyList<double>>)
                            g.First().Losses.Keys.ToDictionary(k => k, k => (IReadOnlyList<double>)g.Select(h => h.Losses[k]).ToList())
                    )
                )
                .ToList()
        );
        Charts.ConfusionMatrix(
            Path.Combine(report, "zero-shot-confusion.png"),
            classes,
            confusion,
            $"Zero-shot CheXpert 5x200: accuracy {metrics.MicroAccuracy:0.000}, macro F1 {macroF1:0.000}"
        );
        // One image per class: the first image of the subset positive for that class alone.
        var examples = ml
            .Data.CreateEnumerable<CheXpertImage>(subsetView, false)
            .Select(i => (i.ImagePath, Positive: classes.Where(c => i.Labels[ChexpertLabels.IndexOf(c)] == 1f).ToList()))
            .Where(i => i.Positive.Count == 1)
            .GroupBy(i => i.Positive[0])
            .OrderBy(g => classes.ToList().IndexOf(g.Key))
            .Select(g => new ZeroShotRow { ImagePath = g.First().ImagePath, Label = g.Key })
            .ToList();
        DrawAttention(network, examples, Path.Combine(report, "attention-maps.png"));

        var figures = new Dictionary<string, double>
        {
            ["accuracy"] = metrics.MicroAccuracy,
            ["macroF1"] = macroF1,
            ["kappa"] = kappa,
            ["meanAuc"] = probes.Single(p => p.Fraction == 1.0).MeanAuc,
            ["meanAuc10"] = probes.Single(p => p.Fraction == 0.1).MeanAuc,
            ["meanAuc1"] = probes.Single(p => p.Fraction == 0.01).MeanAuc,
            ["imageToTextP1"] = retrieval.ImageToTextP1,
            ["imageToTextP5"] = retrieval.ImageToTextP5,
            ["textToImageP1"] = retrieval.TextToImageP1,
            ["chance"] = retrieval.Chance,
            ["mimicStudies"] = manifest.MimicStudies,
            ["mimicUsableStudies"] = indexSummary.Accepted,
        };
        foreach (var (key, value) in extra)
            figures[key] = value;
        figures["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        AtomicFile.WriteText(Path.Combine(report, "metrics.json"), w => w.Write(Json(figures)));
        WriteHtml(report, figures, settings, network, new ReportContents(zeroShot, probes, draftComparison, draftExamples));
        Console.WriteLine();
        Console.WriteLine(
            $"zero-shot accuracy {figures["accuracy"]:0.000} (chance 0.200) | linear-probe mean AUC {figures["meanAuc"]:0.000} | "
                + $"image->text P@1 {figures["imageToTextP1"]:0.000} ({figures["imageToTextP1"] / figures["chance"]:0.0}x chance)"
        );
        Console.WriteLine(
            $"report: {Path.Combine(report, "index.html")} (one page; also loss-curves.png, zero-shot-confusion.png, attention-maps.png, "
                + $"prototypes.png/.md, drafts.md, metrics.json)"
        );
        return figures;
    }

    // What each figure means, for the HTML report (figures without an entry are listed with their key).
    private static readonly Dictionary<string, string> Meanings = new()
    {
        ["accuracy"] = "zero-shot accuracy on the synthetic CheXpert 5x200 (chance 0.200)",
        ["macroF1"] = "zero-shot macro F1",
        ["kappa"] = "zero-shot Cohen's kappa",
        ["meanAuc"] = "linear probe, mean AUC over the five labels, 100 % of the labels",
        ["meanAuc10"] = "linear probe, 10 % of the labels",
        ["meanAuc1"] = "linear probe, 1 % of the labels",
        ["imageToTextP1"] = "held-out image→report retrieval, Precision@1",
        ["imageToTextP5"] = "image→report Precision@5",
        ["textToImageP1"] = "report→image Precision@1",
        ["chance"] = "retrieval Precision@1 by chance",
        ["prototypePurity"] = "sentence prototypes: purity against the generator's sentence types",
        ["prototypeNmi"] = "sentence prototypes: NMI",
        ["prototypePurityShuffled"] = "purity of a shuffled assignment (baseline)",
        ["prototypeNmiShuffled"] = "NMI of a shuffled assignment (baseline)",
        ["draftBleu4"] = "drafted reports (default method): BLEU-4",
        ["draftRougeL"] = "drafted reports (default method): ROUGE-L",
        ["draftChexpertF1"] = "drafted reports (default method): CheXpert-label F1, micro",
        ["draftChexpertMacroF1"] = "drafted reports (default method): CheXpert-label F1, macro (sklearn, zero_division=0)",
        ["draftChexpertExampleF1"] = "drafted reports (default method): CheXpert-label F1, example-based",
        ["nearestReportBleu4"] = "nearest training report: BLEU-4",
        ["nearestReportRougeL"] = "nearest training report: ROUGE-L",
        ["nearestReportChexpertF1"] = "nearest training report: CheXpert-label F1, micro",
        ["nearestReportChexpertMacroF1"] = "nearest training report: CheXpert-label F1, macro",
        ["nearestReportChexpertExampleF1"] = "nearest training report: CheXpert-label F1, example-based",
        ["constantReportBleu4"] = "constant report (most frequent training report): BLEU-4",
        ["constantReportRougeL"] = "constant report: ROUGE-L",
        ["constantReportChexpertF1"] = "constant report: CheXpert-label F1, micro",
        ["constantReportChexpertMacroF1"] = "constant report: CheXpert-label F1, macro",
        ["constantReportChexpertExampleF1"] = "constant report: CheXpert-label F1, example-based",
        ["prototypeDraftBleu4"] = "prototype drafts (stage 3): BLEU-4",
        ["prototypeDraftRougeL"] = "prototype drafts (stage 3): ROUGE-L",
        ["prototypeDraftChexpertF1"] = "prototype drafts (stage 3): CheXpert-label F1, micro",
        ["prototypeDraftChexpertMacroF1"] = "prototype drafts (stage 3): CheXpert-label F1, macro",
        ["prototypeDraftChexpertExampleF1"] = "prototype drafts (stage 3): CheXpert-label F1, example-based",
        ["labelerMacroF1"] = "report labeler against the generator's labels, macro F1",
        ["mimicStudies"] = "synthetic MIMIC-CXR studies written",
        ["mimicUsableStudies"] = "studies in the pretraining index",
        ["seconds"] = "wall time of the demo",
    };

    // What the HTML report shows beyond the figures: the evaluations' own results.
    private sealed record ReportContents(
        PriorZeroShotMetrics ZeroShot,
        IReadOnlyList<PriorLinearProbeMetrics> Probes,
        PriorReportDraftComparison? Drafts,
        IReadOnlyList<HtmlReport.DraftExample> DraftExamples
    );

    private static string F(double value, string format = "0.000") =>
        double.IsNaN(value) ? "—" : value.ToString(format, CultureInfo.InvariantCulture);

    // One table per evaluation, each with its baseline beside it.
    private static List<HtmlReport.Table> Tables(string report, Dictionary<string, double> figures, ReportContents contents)
    {
        var zeroShot = contents.ZeroShot;
        var tables = new List<HtmlReport.Table>
        {
            new(
                "Zero-shot classification: CheXpert 5x200",
                $"{zeroShot.Scored} images, each of the one competition class it is positive for ({zeroShot.NotScored.Count} not "
                    + "scored); the baseline is chance, one class in five. The matrix: counts and the share of each true class.",
                ["figure", "PRIOR", "baseline"],
                [
                    ["accuracy", F(zeroShot.Accuracy), F(zeroShot.Chance)],
                    ["macro F1", F(zeroShot.MacroF1), F(zeroShot.Chance)],
                    ["Cohen's κ", F(zeroShot.Kappa), F(0)],
                ],
                new HtmlReport.Picture("Zero-shot confusion matrix", Path.Combine(report, "zero-shot-confusion.png"))
            ),
        };
        var labels = ChexpertLabels.CompetitionFive;
        tables.Add(
            new(
                "Linear probe on frozen image embeddings",
                "ML.NET's L-BFGS logistic regression per label on a share of train.csv's labels, scored on valid.csv by the area "
                    + "under the ROC curve; 0.500 is chance.",
                ["training labels", "mean AUC", .. labels],
                contents
                    .Probes.Select(p =>
                        (IReadOnlyList<string>)
                            [
                                (p.Fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %",
                                F(p.MeanAuc),
                                .. labels.Select(l => p.Auc.TryGetValue(l, out var auc) ? F(auc) : "—"),
                            ]
                    )
                    .ToList()
            )
        );
        tables.Add(
            new(
                "Image↔report retrieval on the held-out studies",
                "The share of queries whose own study is ranked first (P@1) or among the first five (P@5), beside a random ranking.",
                ["direction", "P@1", "P@5", "chance P@1", "chance P@5"],
                [
                    [
                        "image → report",
                        F(figures["imageToTextP1"]),
                        F(figures["imageToTextP5"]),
                        F(figures["chance"]),
                        F(Math.Min(1, 5 * figures["chance"])),
                    ],
                    ["report → image", F(figures["textToImageP1"]), "—", F(figures["chance"]), "—"],
                ]
            )
        );
        if (figures.ContainsKey("prototypePurity"))
            tables.Add(
                new(
                    "Sentence prototypes",
                    "How well the prototypes sort held-out sentences by the generator's sentence types, beside a shuffled "
                        + "assignment of the same sizes.",
                    ["sentences", "purity", "shuffled", "NMI", "shuffled"],
                    [
                        [
                            "each encoded alone",
                            F(figures["prototypePurity"]),
                            F(figures["prototypePurityShuffled"]),
                            F(figures["prototypeNmi"]),
                            F(figures["prototypeNmiShuffled"]),
                        ],
                        [
                            "inside their reports",
                            F(figures["prototypePurityInReports"]),
                            F(figures.GetValueOrDefault("prototypePurityInReportsShuffled", double.NaN)),
                            F(figures["prototypeNmiInReports"]),
                            F(figures.GetValueOrDefault("prototypeNmiInReportsShuffled", double.NaN)),
                        ],
                    ],
                    new HtmlReport.Picture(
                        "The most used prototypes and their nearest training sentences.",
                        Path.Combine(report, "prototypes.png")
                    )
                )
            );
        if (contents.Drafts is { } drafts)
            tables.Add(
                new(
                    "Drafted reports of the held-out images",
                    "Each method's drafts against the real reports (FINDINGS then IMPRESSION); the constant report (the most frequent "
                        + "training report, for every image) is the baseline a drafter must beat. CheXpert F1: "
                        + PriorReportDraftMetrics.ChexpertF1Convention
                        + ".",
                    ["method", "BLEU-4", "ROUGE-L", "CheXpert F1 micro", "CheXpert F1 macro", "CheXpert F1 example-based", "sentences"],
                    drafts
                        .Names.Select(name =>
                            (IReadOnlyList<string>)
                                [
                                    name == DefaultDraftName ? name + " (default)" : name,
                                    F(drafts.Metrics[name].Bleu4),
                                    F(drafts.Metrics[name].RougeL),
                                    F(drafts.Metrics[name].ChexpertF1),
                                    F(drafts.Metrics[name].ChexpertMacroF1),
                                    F(drafts.Metrics[name].ChexpertExampleF1),
                                    F(drafts.Metrics[name].MeanSentences, "0.0"),
                                ]
                        )
                        .ToList()
                )
            );
        tables.Add(
            new(
                "The run",
                "The data the demo wrote, the report labeler against the generator's own labels, and the wall time.",
                ["figure", "value"],
                new[] { "mimicStudies", "mimicUsableStudies", "labelerMacroF1", "seconds" }
                    .Where(figures.ContainsKey)
                    .Select(k =>
                        (IReadOnlyList<string>)[Meanings.GetValueOrDefault(k, k), F(figures[k], k == "labelerMacroF1" ? "0.000" : "0.#")]
                    )
                    .ToList()
            )
        );
        return tables;
    }

    private static void WriteHtml(
        string report,
        Dictionary<string, double> figures,
        Settings settings,
        PriorNetwork network,
        ReportContents contents
    )
    {
        var options = network.Model.Options;
        HtmlReport.Write(
            Path.Combine(report, "index.html"),
            "Prior.MLNet demo: PRIOR on the synthetic default",
            Tables(report, figures, contents),
            [
                (
                    "preset",
                    $"tiny: {options.ImageSize} px, ResNet {options.ResNetBlock} [{string.Join(",", options.ResNetLayers)}] width "
                        + $"{options.ResNetWidth}, BERT {options.Text.NumHiddenLayers}×{options.Text.HiddenSize}, embedding "
                        + $"{options.EmbeddingDim}, {options.Prototypes} prototypes"
                ),
                (
                    "epochs per stage",
                    string.Join(", ", settings.StageEpochs)
                        + (
                            settings.StageEpochs[1] + settings.StageEpochs[2] == 0 ? " (stage 1 alone)"
                            : settings.Recipe == PriorRecipe.Decoupled ? " (stages 2-3 decoupled from the towers)"
                            : " (the original's coupled stages)"
                        )
                ),
                (
                    "data",
                    $"{settings.Studies} synthetic MIMIC-CXR studies, {settings.CheXpertImages} CheXpert images, {settings.ImageSize} px"
                ),
                ("device", network.Device.type.ToString()),
                ("machine", $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}"),
                ("written", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture)),
            ],
            [
                new HtmlReport.Picture(
                    "Loss of every term per training step, one panel per stage: each step faint, a moving average bold.",
                    Path.Combine(report, "loss-curves.png")
                ),
                new HtmlReport.Picture(
                    "Where a class prompt's sentence attends in one image of that class: the local cross-attention over the image's "
                        + "patches, upsampled smoothly.",
                    Path.Combine(report, "attention-maps.png")
                ),
            ],
            contents.DraftExamples,
            []
        );
    }

    // The most used prototypes, each with what its held-out sentences are and its nearest training sentences.
    private static void WritePrototypes(string report, PriorPrototypeMetrics analysis)
    {
        var rows = analysis
            .MostUsed.Select(p =>
                (IReadOnlyList<string>)
                    [
                        $"#{p.Index}",
                        p.Sentences.ToString(CultureInfo.InvariantCulture),
                        $"{p.MajorityType} ({p.MajorityShare:P0})",
                        string.Join("  |  ", p.NearestSentences),
                    ]
            )
            .ToList();
        Charts.Table(
            Path.Combine(report, "prototypes.png"),
            $"Most used sentence prototypes: purity {analysis.Purity:0.000} (shuffled {analysis.ShuffledPurity:0.000}), NMI "
                + $"{analysis.Nmi:0.000} (shuffled {analysis.ShuffledNmi:0.000})",
            ["prototype", "sentences", "most common type (share)", "nearest training sentences"],
            rows,
            [80, 80, 300, 900]
        );
        var md = new StringBuilder(
            "| prototype | held-out sentences | most common type (share) | nearest training sentences |\n|---|---|---|---|\n"
        );
        foreach (var row in rows)
            md.Append("| ").Append(string.Join(" | ", row.Select(c => c.Replace("|", "/", StringComparison.Ordinal)))).Append(" |\n");
        AtomicFile.WriteText(Path.Combine(report, "prototypes.md"), w => w.Write(md.ToString()));
    }

    // The method PriorReportDraft uses by default, as the demo's JSON names it.
    private const ReportDraftMethod DefaultDraftMethod = Defaults.ReportDraftMethod;
    private static readonly string DefaultDraftName = PriorReportDraftComparison.NameOf(DefaultDraftMethod);

    // The methods' table, then five held-out studies: the real report and every method's draft, side by side.
    private static List<HtmlReport.DraftExample> WriteDrafts(string report, string index, PriorReportDraftComparison drafts)
    {
        var ml = new MLContext(seed: 1);
        var studies = ml
            .Data.CreateEnumerable<MimicCxrStudy>(
                ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = index, Splits = ["validate", "test"] }),
                false
            )
            .ToList();
        var md = new StringBuilder();
        md.Append("| method | BLEU-4 | ROUGE-L | CheXpert F1 (micro) | CheXpert F1 (macro) | sentences |\n|---|---|---|---|---|---|\n");
        foreach (var row in drafts.Names)
        {
            var name = row == DefaultDraftName ? row + " (default)" : row;
            var scores = drafts.Metrics[row];
            md.Append(
                FormattableString.Invariant($"| {name} | {scores.Bleu4:0.000} | {scores.RougeL:0.000} | {scores.ChexpertF1:0.000} | ")
                    + FormattableString.Invariant($"{scores.ChexpertMacroF1:0.000} | {scores.MeanSentences:0.0} |\n")
            );
        }
        md.Append(
            "\nUnder the default (decoupled) recipe the nearest-report and retrieval drafts come from stage 1's representation; "
                + "only the prototype drafts come from stages 2-3 (docs/drafting.md).\n\n"
        );
        var examples = new List<HtmlReport.DraftExample>();
        for (int i = 0; i < Math.Min(6, studies.Count); i++)
        {
            examples.Add(
                new HtmlReport.DraftExample(
                    studies[i].ImagePaths[0],
                    $"{studies[i].Findings} {studies[i].Impression}".Trim(),
                    drafts.Names.Select(name => (name, drafts.Drafts[name][i])).ToList()
                )
            );
            md.Append($"### {Path.GetFileName(studies[i].ImagePaths[0])}\n\n");
            md.Append($"- **report**: {studies[i].Findings} {studies[i].Impression}\n");
            foreach (var name in drafts.Names)
                md.Append($"- **{name}**: {drafts.Drafts[name][i]}\n");
            md.Append('\n');
        }
        AtomicFile.WriteText(Path.Combine(report, "drafts.md"), w => w.Write(md.ToString()));
        return examples;
    }

    /// <summary>What <see cref="Prepare"/> wrote.</summary>
    internal sealed record PreparedData(
        SyntheticManifest Manifest,
        DataLoadSummary IndexSummary,
        string Index,
        string CheXpert,
        string Subset
    );

    /// <summary>
    /// The demo's data under <paramref name="root"/>: synthetic MIMIC-CXR and CheXpert, the pretraining index and the
    /// 5x200 set (shared with <c>prior ablate</c>, so that both measure the same thing).
    /// </summary>
    internal static PreparedData Prepare(string root, Settings settings, string firstStep, string secondStep)
    {
        var data = Path.Combine(root, "data");
        Console.WriteLine(
            $"{firstStep} synthetic MIMIC-CXR ({settings.Studies} studies) and CheXpert ({settings.CheXpertImages} images) at "
                + $"{settings.ImageSize} px -> {data}"
        );
        var manifest = SyntheticDatasetGenerator.Generate(
            new SyntheticDatasetOptions
            {
                OutputDirectory = data,
                Studies = settings.Studies,
                CheXpertImages = settings.CheXpertImages,
                ImageSize = settings.ImageSize,
            }
        );
        Console.WriteLine($"{secondStep} pretraining index and the CheXpert 5x200 set");
        var index = Path.Combine(root, "mimic-index.jsonl.gz");
        var indexSummary = MimicCxrIndex.Write(MimicCxrLoaderOptions.FromRoot(data), index);
        Console.WriteLine($"    {indexSummary}");
        var chexpert = Path.Combine(data, CheXpertColumns.DatasetFolder);
        var subsetPath = Path.Combine(root, "chexpert_5x200.csv");
        CheXpertZeroShotSubset.Build(chexpert, subsetPath);
        return new PreparedData(manifest, indexSummary, index, chexpert, subsetPath);
    }

    private sealed class ZeroShotRow
    {
        public string ImagePath { get; set; } = string.Empty;
        public string Label { get; set; } = string.Empty;
    }

    // For one image per class: the attention of its class prompt over the image's patches (prior attention's path).
    private static void DrawAttention(PriorNetwork network, IReadOnlyList<ZeroShotRow> rows, string path)
    {
        int size = network.ImageSize;
        var preprocessor = network.ImagePreprocessor; // as prior attention and the server draw it
        var panels = new List<(byte[], int, float[], int, string)>();
        foreach (var row in rows)
        {
            var sentence = ZeroShotPrompts.CheXpert5[row.Label][1];
            var pixels = preprocessor.Load(row.ImagePath, null);
            var map = network.AttentionMaps([pixels], [sentence])[0];
            var panel = AttentionCommand.Panels(pixels, map, [sentence], preprocessor, size)[0];
            panels.Add(panel with { Sentence = $"{row.Label}: \"{sentence}\"" });
        }
        Charts.AttentionMaps(path, panels);
    }
}
