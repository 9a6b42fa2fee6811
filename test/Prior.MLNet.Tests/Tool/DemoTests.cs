using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Trainers;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Tool;

/// <summary>
/// The demo's story with its default settings and seeds (what README's first command runs): the learning targets of
/// the ML.NET integration, asserted on the printed figures.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Slow)]
public sealed class DemoTests
{
    [TestMethod]
    [DoNotParallelize] // the demo's seeds give the demo's figures only when no other torch work shares the process
    public void TheDemoLearnsZeroShotLinearProbeAndRetrievalWellAboveChance()
    {
        var folder = SyntheticFixture.NewTempFolder();
        var figures = DemoCommand.Run(folder, new DemoCommand.Settings());
        Console.WriteLine(string.Join(", ", figures.Select(kv => $"{kv.Key} {kv.Value:0.###}")));
        Assert.IsGreaterThanOrEqualTo(0.6, figures["accuracy"], "zero-shot accuracy on the synthetic CheXpert 5x200 (chance 0.2)");
        Assert.IsGreaterThanOrEqualTo(0.85, figures["meanAuc"], "linear-probe mean AUC at 100 % of the labels");
        Assert.IsGreaterThanOrEqualTo(3 * figures["chance"], figures["imageToTextP1"], "held-out image->text P@1");
        // PRIOR's own half (all three stages by default): a bank in use whose prototypes mean something, and drafts.
        Assert.IsGreaterThanOrEqualTo(
            24,
            figures["prototypesUsedInReports"],
            "prototypes (of 32) that held-out sentences inside their reports use"
        );
        Assert.IsGreaterThanOrEqualTo(
            1.5 * figures["prototypePurityShuffled"],
            figures["prototypePurity"],
            "prototype purity against the generator's sentence types, against a shuffled assignment"
        );
        // Drafting: the default method beats one constant report (the most frequent training report) on every metric.
        foreach (var metric in new[] { "Bleu4", "RougeL", "ChexpertF1", "ChexpertMacroF1", "ChexpertExampleF1" })
            Assert.IsGreaterThan(
                figures["constantReport" + metric],
                figures["draft" + metric],
                $"drafts by the default method against the constant report: {metric}"
            );
        foreach (var file in new[] { "loss-curves.png", "zero-shot-confusion.png", "attention-maps.png", "metrics.json" })
            Assert.IsTrue(new FileInfo(Path.Combine(folder, "report", file)).Length > 100, file);
        using (var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report", "metrics.json"))))
        {
            Assert.AreEqual("nearest-report", json.RootElement.GetProperty("draftMethod").GetString());
            StringAssert.Contains(json.RootElement.GetProperty("chexpertF1Convention").GetString(), "zero_division=0");
            foreach (var key in new[] { "draftChexpertF1", "constantReportChexpertF1", "nearestReportChexpertF1" })
                Assert.IsTrue(json.RootElement.GetProperty(key).GetDouble() > 0, key);
        }
        Assert.IsTrue(File.Exists(Path.Combine(folder, "prior-tiny.zip")));
        // Pretraining helps when labels are few: fine-tuned on 1 % of CheXpert's training images (three seeds), the
        // pretrained image tower beats the same architecture from random weights.
        using (var network = Prior.MLNet.Transforms.PriorNetwork.Load(Path.Combine(folder, "prior-tiny.zip")))
        {
            // Through the public call, with the loader's rows under the papers' label policy (blank and uncertain 0).
            var ml = new MLContext(seed: 1);
            IDataView Load(string csv) =>
                ml.Data.LoadCheXpert(
                    new CheXpertLoaderOptions
                    {
                        Root = Path.Combine(folder, "data", "CheXpert-v1.0-small"),
                        Csv = csv,
                        UncertainLabels = UncertaintyPolicy.Zeros,
                        BlankLabel = 0,
                    }
                );
            var metrics = ml.PriorEvaluation()
                .EvaluateFineTuning(network, Load("train.csv"), Load("valid.csv"), 0.01, [1, 2, 3], new FineTuningOptions { Epochs = 20 });
            var (pretrained, baseline) = (metrics.PretrainedMeanAuc, metrics.RandomMeanAuc);
            Console.WriteLine(
                $"fine-tuned at 1 %: {pretrained.Average():0.000} from PRIOR, {baseline.Average():0.000} from random weights"
            );
            Assert.IsGreaterThanOrEqualTo(
                baseline.Average() + 0.03,
                pretrained.Average(),
                "mean AUC at 1 % of the labels, pretrained against random initialisation"
            );

            // And for detection: an FCOS-style detector on 1 % of a synthetic RSNA set (16 of 1600 images).
            var downstream = Prior.MLNet.Synthetic.SyntheticDownstreamGenerator.Generate(
                Path.Combine(folder, "downstream"),
                images: 2000,
                imageSize: 64
            );
            var (withPrior, fromRandom, _) = Evaluations.Detect(
                network,
                downstream.RsnaRoot,
                0.01,
                [1, 2, 3],
                epochs: 20,
                freeze: false,
                Console.WriteLine
            );
            double map = withPrior.Average(r => r.Map),
                baselineMap = fromRandom.Average(r => r.Map);
            Console.WriteLine($"detection at 1 %: mAP {map:0.000} from PRIOR, {baselineMap:0.000} from random weights");
            Assert.IsGreaterThanOrEqualTo(
                baselineMap + 0.2,
                map,
                "RSNA-style mAP (IoU 0.25-0.75) at 1 % of the labels, pretrained against random initialisation"
            );

            // And for segmentation: a U-Net on 1 % of the synthetic SIIM set from the same call. Sixteen images are one
            // batch, so 40 epochs are 40 steps (at 20 steps both arms are still half-trained and the comparison is a
            // coin toss; docs/downstream.md has both).
            var (segmented, segmentedFromRandom, _) = Evaluations.Segment(
                network,
                downstream.SiimRoot,
                0.01,
                [1, 2, 3],
                epochs: 40,
                freeze: false,
                Console.WriteLine
            );
            double dice = segmented.Average(r => r.Dice),
                baselineDice = segmentedFromRandom.Average(r => r.Dice);
            Console.WriteLine($"segmentation at 1 %: Dice {dice:0.000} from PRIOR, {baselineDice:0.000} from random weights");
            Assert.IsGreaterThanOrEqualTo(
                baselineDice + 0.05,
                dice,
                "SIIM-style all-image Dice at 1 % of the labels, pretrained against random initialisation"
            );
        }
        var dom = HeadlessBrowser.DumpDom(Path.Combine(folder, "report", "index.html"));
        StringAssert.Contains(dom, "data-rendered=\"ok\"", "the one-page report renders with every picture");
        StringAssert.Contains(dom, "data-figures=\"4\"", "loss curves, confusion matrix, attention maps and the prototypes");
        StringAssert.Contains(dom, "data-tables=\"6\"", "zero-shot, linear probe, retrieval, prototypes, drafts and the run");
        StringAssert.Contains(dom, "data-overflow=\"\"", "the page fits its width");
        StringAssert.Contains(dom, "<dt>report</dt>", "drafts beside their image and report, as HTML");
        StringAssert.DoesNotMatch(
            dom,
            new System.Text.RegularExpressions.Regex(@"\|---\||\*\*report\*\*"),
            "no Markdown source on the page"
        );
    }
}
