using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Text;

namespace Prior.MLNet.Tests.Text;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ChexpertReportLabelerTests
{
    private static readonly ChexpertReportLabeler Labeler = new();
    private static readonly ChexpertReportLabeler Extended = new(ReportLabelConventions.Extended);

    private static float Value(string sentence, string label, ChexpertReportLabeler? labeler = null) =>
        (labeler ?? Labeler).LabelSentences([sentence])[ChexpertLabels.IndexOf(label)];

    [TestMethod]
    // Hand-written sentences in real radiology style, each with the value a radiologist reads in it.
    [DataRow("No evidence of pneumothorax.", "Pneumothorax", 0f)]
    [DataRow("The lungs are clear without focal consolidation.", "Consolidation", 0f)]
    [DataRow("Previously seen left pleural effusion has resolved.", "Pleural Effusion", 0f)]
    [DataRow("Interval removal of the nasogastric tube.", "Support Devices", 0f)]
    [DataRow("A pulmonary nodule is no longer seen.", "Lung Lesion", 0f)]
    [DataRow("There is no pleural effusion or pneumothorax.", "Pneumothorax", 0f)]
    [DataRow("Heart size is normal.", "Cardiomegaly", 0f)]
    [DataRow("The cardiomediastinal silhouette is within normal limits.", "Enlarged Cardiomediastinum", 0f)]
    [DataRow("No acute fracture is identified.", "Fracture", 0f)]
    [DataRow("Findings may represent early pneumonia.", "Pneumonia", -1f)]
    [DataRow("Pleural effusion cannot be excluded.", "Pleural Effusion", -1f)]
    [DataRow("Atelectasis versus consolidation at the left base.", "Atelectasis", -1f)]
    [DataRow("Atelectasis versus consolidation at the left base.", "Consolidation", -1f)]
    [DataRow("Right lower lobe opacity concerning for pneumonia.", "Pneumonia", -1f)]
    [DataRow("Right lower lobe opacity concerning for pneumonia.", "Lung Opacity", 1f)]
    [DataRow("Possible small right pleural effusion.", "Pleural Effusion", -1f)]
    [DataRow("The cardiac silhouette may be mildly enlarged.", "Cardiomegaly", -1f)]
    [DataRow("Questionable left apical pneumothorax.", "Pneumothorax", -1f)]
    [DataRow("Moderate cardiomegaly.", "Cardiomegaly", 1f)]
    [DataRow("The heart is mildly enlarged.", "Cardiomegaly", 1f)]
    [DataRow("Endotracheal tube terminates 4 cm above the carina.", "Support Devices", 1f)]
    [DataRow("There is mild pulmonary edema.", "Edema", 1f)]
    [DataRow("Small left pleural effusion, but no pneumothorax.", "Pleural Effusion", 1f)]
    [DataRow("Small left pleural effusion, but no pneumothorax.", "Pneumothorax", 0f)]
    [DataRow("Dense consolidation in the right lower lung, which may represent pneumonia.", "Consolidation", 1f)]
    [DataRow("Dense consolidation in the right lower lung, which may represent pneumonia.", "Pneumonia", -1f)]
    [DataRow("Linear opacity at the left base is consistent with atelectasis.", "Atelectasis", 1f)]
    [DataRow("Midline sternotomy wires are intact.", "Support Devices", 1f)]
    [DataRow("Mild pleural thickening at the right apex.", "Pleural Other", 1f)]
    [DataRow("Widened mediastinum.", "Enlarged Cardiomediastinum", 1f)]
    // The cases where the CheXpert labeler's own rules differ from a naive reading (each fails if its rule is removed):
    // pre-negation uncertainty, "no change" as a comparison, negation scope, and the mention exclusions.
    [DataRow("Cannot exclude pneumonia in the right lower lobe.", "Pneumonia", -1f)]
    [DataRow("Underlying infection cannot be ruled out.", "Pneumonia", -1f)]
    [DataRow("Clinical concern to rule out pneumonia.", "Pneumonia", -1f)]
    [DataRow("No change in the moderate left pleural effusion.", "Pleural Effusion", 1f)]
    [DataRow("No interval change in the right internal jugular line, which ends in the SVC.", "Support Devices", 1f)]
    [DataRow("No significant change in bibasilar atelectasis.", "Atelectasis", 1f)]
    [DataRow("No pneumothorax, small left pleural effusion.", "Pleural Effusion", 1f)]
    [DataRow("No pneumothorax, small left pleural effusion.", "Pneumothorax", 0f)]
    [DataRow("No focal consolidation, pleural effusion, or pneumothorax.", "Pleural Effusion", 0f)]
    [DataRow("No focal consolidation, pleural effusion, or pneumothorax.", "Pneumothorax", 0f)]
    [DataRow("No consolidation, effusion, pneumothorax.", "Pleural Effusion", 0f)]
    [DataRow("No edema or effusion, moderate cardiomegaly.", "Cardiomegaly", 1f)]
    [DataRow("No edema or effusion, moderate cardiomegaly.", "Pleural Effusion", 0f)]
    [DataRow("Kerley B lines suggest interstitial edema.", "Support Devices", float.NaN)]
    [DataRow("A visceral pleural line is seen at the right apex.", "Support Devices", float.NaN)]
    [DataRow("Small pericardial effusion.", "Pleural Effusion", float.NaN)]
    [DataRow("Old healed left rib fractures.", "Fracture", 1f)]
    // Rules added against the first hand-written set (each row fails without its rule).
    [DataRow("Small left hydropneumothorax.", "Pneumothorax", 1f)]
    [DataRow("Small left hydropneumothorax.", "Pleural Effusion", 1f)]
    [DataRow("The right middle lobe is collapsed.", "Atelectasis", 1f)]
    [DataRow("The left basilar opacity has cleared.", "Lung Opacity", 0f)]
    [DataRow("The pneumothorax resolved after placement of a pigtail catheter.", "Support Devices", 1f)]
    [DataRow("No pneumothorax after chest tube removal.", "Support Devices", 0f)]
    [DataRow("A small effusion cannot be completely excluded.", "Pleural Effusion", -1f)]
    [DataRow("A tiny right pneumothorax is questioned.", "Pneumothorax", -1f)]
    [DataRow("Superimposed pneumonia is less likely.", "Pneumonia", -1f)]
    [DataRow("Early pneumonia is a consideration.", "Pneumonia", -1f)]
    [DataRow("Right basilar opacity is worrisome for aspiration pneumonia.", "Pneumonia", -1f)]
    [DataRow("Apical lucency raises the possibility of pneumothorax.", "Pneumothorax", -1f)]
    [DataRow("The heart is borderline enlarged.", "Cardiomegaly", -1f)]
    public void ReadsMentionsNegationsAndUncertaintyAsARadiologistWould(string sentence, string label, float expected)
    {
        // This library's extended conventions, which these rows were written for; CheXpert's own below.
        Assert.AreEqual(expected, Value(sentence, label, Extended), $"{label} in \"{sentence}\"");
    }

    [TestMethod]
    // Where CheXpert's published rules read a sentence otherwise than the extended conventions (and than a naive reading):
    // each row holds the CheXpert value, then the extended one. Each fails if the rule or list entry behind it is removed.
    // Device vocabulary: CheXpert has no wire, clip, port, stent or abbreviation; its "lines" and "plate" are substrings.
    [DataRow("Median sternotomy wires are intact.", "Support Devices", float.NaN, 1f)]
    [DataRow("Right chest wall Port-A-Cath terminates in the low SVC.", "Support Devices", float.NaN, 1f)]
    [DataRow("ETT terminates 4.5 cm above the carina.", "Support Devices", float.NaN, 1f)]
    [DataRow("NGT tip is in the stomach.", "Support Devices", float.NaN, 1f)]
    [DataRow("Cardiac monitoring leads overlie the chest.", "Support Devices", float.NaN, 1f)]
    [DataRow("Coronary artery stent is noted.", "Support Devices", float.NaN, 1f)]
    [DataRow("NG/OG tube is in appropriate position.", "Support Devices", 1f, 1f)]
    [DataRow("Left chest wall AICD with leads in the right ventricle.", "Support Devices", 1f, 1f)]
    // Lines that are not devices: CheXpert's "lines" and " line " match them; the extended unmentions exclude them.
    [DataRow("Kerley B lines are present.", "Support Devices", 1f, float.NaN)]
    [DataRow("Septal lines at the lung bases suggest interstitial edema.", "Support Devices", 1f, float.NaN)]
    [DataRow("A visceral pleural line is seen at the right apex, consistent with pneumothorax.", "Support Devices", 1f, float.NaN)]
    [DataRow("Platelike atelectasis at the right base.", "Support Devices", 1f, float.NaN)]
    // "Lesion" alone is not a lung lesion (CheXpert lists "cavitary lesion" only); calcified nodules and "massive" are unmentions.
    [DataRow("Lytic lesion in the left humerus.", "Lung Lesion", float.NaN, float.NaN)]
    [DataRow("Sclerotic bony lesions are unchanged.", "Lung Lesion", float.NaN, float.NaN)]
    [DataRow("A calcified nodule in the left upper lobe is unchanged.", "Lung Lesion", float.NaN, float.NaN)]
    [DataRow("Massive left pleural effusion.", "Lung Lesion", float.NaN, float.NaN)]
    [DataRow("Masslike opacity in the left upper lobe.", "Lung Lesion", 1f, 1f)]
    // Negation through lists and commas: with and without "or", across a bare adjective, not past a described finding.
    [DataRow("No pleural effusion, pneumothorax, focal airspace consolidation.", "Consolidation", 0f, 0f)]
    [DataRow("No focal consolidation, effusion, pneumothorax, or pulmonary edema.", "Edema", 0f, 0f)]
    [DataRow("No acute, displaced rib fractures.", "Fracture", 0f, 0f)]
    [DataRow("No pneumothorax, small left pleural effusion.", "Pleural Effusion", 1f, 1f)]
    [DataRow("No significant change in bibasilar atelectasis.", "Atelectasis", 1f, 1f)]
    // CheXpert's cues: "no new" and "X or Y" are uncertain, a stable silhouette is uncertain, vascular congestion is an
    // uncertain edema, "likely"/"suggestive of" assert, "difficult to exclude" and "rule out" negate, "is compatible with"
    // hedges; "the heart" is a mention and "heart" alone is not.
    [DataRow("No new pneumothorax.", "Pneumothorax", -1f, -1f)]
    [DataRow("Bibasilar opacities may represent atelectasis or pneumonia.", "Pneumonia", -1f, -1f)]
    [DataRow("The cardiomediastinal silhouette is stable.", "Enlarged Cardiomediastinum", -1f, -1f)]
    [DataRow("Heart size is unchanged.", "Cardiomegaly", -1f, -1f)]
    [DataRow("Mild pulmonary vascular congestion.", "Edema", -1f, -1f)]
    [DataRow("Findings consistent with mild CHF.", "Cardiomegaly", -1f, -1f)]
    [DataRow("Likely atelectasis at the left base.", "Atelectasis", 1f, -1f)]
    [DataRow("Findings suggestive of pneumonia.", "Pneumonia", 1f, -1f)]
    [DataRow("Difficult to exclude a small left effusion.", "Pleural Effusion", 0f, -1f)]
    [DataRow("Evaluate to rule out pneumonia.", "Pneumonia", 0f, -1f)]
    [DataRow("Right upper lobe consolidation with air bronchograms is compatible with pneumonia.", "Pneumonia", -1f, -1f)]
    [DataRow("Heart is mildly enlarged.", "Cardiomegaly", float.NaN, 1f)]
    [DataRow("Pacer leads overlie the heart.", "Cardiomegaly", 1f, float.NaN)]
    [DataRow("No PTX.", "Pneumothorax", float.NaN, 0f)]
    [DataRow("Blunting of the left costophrenic angle.", "Pleural Effusion", float.NaN, -1f)]
    public void ReadsEachSentenceByEachConventionsRules(string sentence, string label, float chexpert, float extended)
    {
        Assert.AreEqual(chexpert, Value(sentence, label), $"chexpert: {label} in \"{sentence}\"");
        Assert.AreEqual(extended, Value(sentence, label, Extended), $"extended: {label} in \"{sentence}\"");
    }

    [TestMethod]
    // CheXpert's No Finding: blank when any of its "other findings" (no_finding.txt) is stated, even with no observation;
    // 1 when they are negated, or when only devices are found.
    [DataRow("Stable calcified granuloma in the right lower lobe.", float.NaN)]
    [DataRow("Multilevel degenerative changes of the thoracic spine.", float.NaN)]
    [DataRow("Mild dextroscoliosis of the thoracic spine.", float.NaN)]
    [DataRow("Fluid in the minor fissure.", float.NaN)]
    [DataRow("Moderate hiatal hernia.", float.NaN)]
    [DataRow("Tracheostomy tube is in standard position.", float.NaN)]
    [DataRow("No scoliosis.", 1f)]
    [DataRow("The right hemidiaphragm is elevated.", 1f)]
    [DataRow("Left PICC terminates in the low SVC.", 1f)]
    public void NoFindingIsBlankWhenAnotherFindingIsStated(string sentence, float expected)
    {
        foreach (var labeler in new[] { Labeler, Extended })
            Assert.AreEqual(expected, labeler.LabelSentences([sentence])[0], $"{labeler.Conventions}: No Finding in \"{sentence}\"");
    }

    [TestMethod]
    public void ReproducesTheChexpertLabelersOwnExamples()
    {
        // TestData/reports/chexpert-labeler-examples.csv: the reports of the CheXpert labeler's repository with the labels
        // its labeler gave them (labeled_reports.csv, MIT; THIRD-PARTY-NOTICES.md), every cell compared, blanks included.
        var path = Path.Combine(RepositoryPaths.TestData, "reports", "chexpert-labeler-examples.csv");
        using var reader = new StreamReader(path);
        var records = Prior.MLNet.Data.Csv.CsvReader.Read(reader).Select(r => r.Fields).ToList();
        var header = records[0];
        Assert.AreEqual("Reports", header[0]);
        int reports = 0;
        foreach (var row in records.Skip(1))
        {
            reports++;
            var labels = Labeler.Label(row[0]);
            for (int c = 1; c < header.Length; c++)
            {
                float expected = row[c].Length == 0 ? float.NaN : float.Parse(row[c], System.Globalization.CultureInfo.InvariantCulture);
                Assert.AreEqual(expected, labels[ChexpertLabels.IndexOf(header[c])], $"{header[c]} of \"{row[0]}\"");
            }
        }
        Assert.AreEqual(4, reports);
    }

    [TestMethod]
    [DataRow("handwritten-sentences.tsv", 185)]
    [DataRow("handwritten-sentences-heldout.tsv", 110)]
    public void OnTheOlderHandWrittenSetsEachConventionAgreesWithItsLabels(string file, int atLeast)
    {
        // The two older sets (192 and 122 sentences before the generator's own sentences were removed), relabelled for
        // issue 41 under both conventions after the rules were written: development sets, so their figures measure fit.
        foreach (var (labeler, column) in new[] { (Labeler, 1), (Extended, 2) })
        {
            var (agreed, pairs, macro) = Score(file, atLeast, labeler, column);
            Assert.IsGreaterThanOrEqualTo(0.95, (double)agreed / pairs, $"{labeler.Conventions}: {agreed} of {pairs} pairs agree");
            Assert.IsGreaterThanOrEqualTo(0.95, macro, $"{labeler.Conventions}: macro F1 over the cells with support");
        }
    }

    // Reads a hand-written set, prints per observation and kind of mention the F1 against the expected values and every
    // disagreement, and returns the agreement on mentioned (sentence, observation) pairs and the macro F1 over the cells.
    // No Finding is scored where the set labels it (per sentence, as for a one-sentence report).
    private static (int Agreed, int Pairs, double MacroF1) Score(
        string file,
        int atLeast,
        ChexpertReportLabeler labeler,
        int column = 1,
        bool noFinding = false
    )
    {
        var cases = ReadSet(file, column);
        Assert.IsGreaterThanOrEqualTo(atLeast, cases.Count);
        Console.WriteLine($"{file}, column {column}, {labeler.Conventions} conventions:");
        var observations = ChexpertLabels.Names.Where(n => noFinding || n != "No Finding").ToList();
        // Per observation and kind of mention (positive 1, negative 0, uncertain -1): F1 of that value against the rules'.
        var table = new List<string>();
        int agreed = 0,
            pairs = 0;
        var f1s = new List<double>();
        foreach (var label in observations)
        {
            var truth = cases.Select(c => c.Expected.TryGetValue(label, out var v) ? v : float.NaN).ToList();
            var predicted = cases.Select(c => Value(c.Sentence, label, labeler)).ToList();
            for (int i = 0; i < cases.Count; i++)
                if (!float.IsNaN(truth[i]) || !float.IsNaN(predicted[i]))
                {
                    pairs++;
                    if (truth[i].Equals(predicted[i]))
                        agreed++;
                    else
                        Console.WriteLine($"disagrees: {label} {truth[i]} expected, {predicted[i]} given: {cases[i].Sentence}");
                }
            var cells = new List<string>();
            foreach (var kind in new[] { 1f, 0f, -1f })
            {
                int tp = truth.Zip(predicted).Count(p => p.First == kind && p.Second == kind);
                int support = truth.Count(t => t == kind),
                    called = predicted.Count(p => p == kind);
                double f1 = support + called == 0 ? double.NaN : 2.0 * tp / (support + called);
                if (support > 0)
                    f1s.Add(f1);
                cells.Add(support == 0 ? "–" : $"{f1:0.00} ({support})");
            }
            table.Add($"| {label} | {string.Join(" | ", cells)} |");
        }
        Console.WriteLine($"{file}: {cases.Count} sentences");
        Console.WriteLine("| Observation | positive F1 (n) | negative F1 (n) | uncertain F1 (n) |");
        table.ForEach(Console.WriteLine);
        Console.WriteLine($"agreement on mentioned pairs {agreed}/{pairs}; macro F1 over cells with support {f1s.Average():0.000}");
        return (agreed, pairs, f1s.Average());
    }

    [TestMethod]
    public void OnTheRealStyleHeldOutSetEachConventionReproducesItsLabels()
    {
        // realstyle-heldout.tsv was committed before the rules it measures (git log shows the order), but it and the rules
        // were written by the same hand: it shows the rules do what CheXpert's published rules say on real-style text, not
        // that they agree with CheXpert's own program or with radiologists (docs/drafting.md). Issue 41's bar is 0.90.
        var (agreed, pairs, macro) = Score("realstyle-heldout.tsv", atLeast: 300, Labeler, column: 1, noFinding: true);
        Assert.IsGreaterThanOrEqualTo(0.95, (double)agreed / pairs, $"chexpert: {agreed} of {pairs} pairs agree");
        Assert.IsGreaterThanOrEqualTo(0.95, macro, "chexpert: macro F1 over the cells with support");
        (agreed, pairs, macro) = Score("realstyle-heldout.tsv", atLeast: 300, Extended, column: 2, noFinding: true);
        Assert.IsGreaterThanOrEqualTo(0.95, (double)agreed / pairs, $"extended: {agreed} of {pairs} pairs agree");
        Assert.IsGreaterThanOrEqualTo(0.95, macro, "extended: macro F1 over the cells with support");
    }

    [TestMethod]
    public void TheRealStyleHeldOutSetIsNewToTheLabelerAndWellFormed()
    {
        // TestData/reports/realstyle-heldout.tsv (issue 41): written in the style of real reports and committed before any
        // rule it measures. It must hold no sentence the rules were fitted to (the older sets) and none the synthetic
        // generator writes, and carry both conventions' labels for every sentence.
        var cases = ReadSet("realstyle-heldout.tsv", column: 1);
        Assert.IsGreaterThanOrEqualTo(300, cases.Count);
        Assert.HasCount(cases.Count, ReadSet("realstyle-heldout.tsv", column: 2), "every sentence has extended labels too");
        var older = new[] { "handwritten-sentences.tsv", "handwritten-sentences-heldout.tsv" }
            .SelectMany(f => ReadSet(f, column: 1))
            .Select(c => c.Sentence.ToLowerInvariant())
            .ToHashSet();
        var generator = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "src", "Prior.MLNet.Synthetic", "ReportComposer.cs"))
            .ToLowerInvariant();
        foreach (var (sentence, _) in cases)
        {
            Assert.DoesNotContain(sentence.ToLowerInvariant(), older, $"'{sentence}' is in an older set");
            Assert.DoesNotContain(sentence.ToLowerInvariant().TrimEnd('.'), generator, $"'{sentence}' is the generator's");
        }
        Assert.IsGreaterThanOrEqualTo(5.5, cases.Average(c => c.Sentence.Split(' ').Length), "longer than the older sets");
        Assert.IsGreaterThanOrEqualTo(10, cases.Count(c => c.Sentence.Contains("___")), "de-identification blanks");
    }

    // A hand-written set's sentences with the labels of one column (1: the first, 2: the second where the file has one),
    // each label checked to be one of the 14 observations with the value 1, 0 or -1.
    private static List<(string Sentence, Dictionary<string, float> Expected)> ReadSet(string file, int column)
    {
        var path = Path.Combine(RepositoryPaths.TestData, "reports", file);
        var cases = File.ReadAllLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Select(f =>
                (
                    Sentence: f[0],
                    Expected: (f.Length > column ? f[column] : "")
                        .Split(';', StringSplitOptions.RemoveEmptyEntries)
                        .Select(p => p.Split('='))
                        .ToDictionary(p => p[0], p => float.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture))
                )
            )
            .ToList();
        Assert.HasCount(cases.Count, cases.Select(c => c.Sentence).Distinct(), $"{file}: a sentence is listed twice");
        foreach (var (sentence, expected) in cases)
        foreach (var (label, value) in expected)
        {
            Assert.Contains(label, ChexpertLabels.Names, $"{sentence}: '{label}' is not an observation");
            Assert.IsTrue(value is 1 or 0 or -1, $"{sentence}: {label}={value}");
        }
        return cases;
    }

    [TestMethod]
    public void UnmentionedIsBlankAndNoFindingFollowsTheFindings()
    {
        var normal = Labeler.Label(
            "FINDINGS:  The lungs are clear.  No acute cardiopulmonary process.\n IMPRESSION:  Normal chest radiograph."
        );
        Assert.AreEqual(1f, normal[ChexpertLabels.IndexOf("No Finding")]);
        Assert.IsTrue(float.IsNaN(normal[ChexpertLabels.IndexOf("Pneumonia")]));
        var devicesOnly = Labeler.LabelSentences(["A right internal jugular catheter ends in the SVC.", "No pneumothorax."]);
        Assert.AreEqual(1f, devicesOnly[ChexpertLabels.IndexOf("No Finding")], "support devices alone are no finding");
        var uncertain = Labeler.LabelSentences(["Possible left basilar atelectasis."]);
        Assert.IsTrue(float.IsNaN(uncertain[ChexpertLabels.IndexOf("No Finding")]));
        Assert.AreEqual(
            1f,
            Labeler.LabelSentences(["No effusion.", "Small right effusion."])[ChexpertLabels.IndexOf("Pleural Effusion")],
            "positive wins"
        );
    }

    [TestMethod]
    public void TheCommandWritesOneRowPerReport()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var list = Path.Combine(dir, "reports.txt");
        File.WriteAllLines(list, ["Small left pleural effusion, but no pneumothorax.", "Normal chest radiograph."]);
        var result = Tool.CommandLineTests.RunPrior("label-reports", "--reports", list, "--out", Path.Combine(dir, "labels.csv"));
        Assert.AreEqual(0, result.Code, result.Err);
        var rows = File.ReadAllLines(Path.Combine(dir, "labels.csv"));
        Assert.AreEqual("Report," + string.Join(',', ChexpertLabels.Names), rows[0]);
        var first = rows[1].Split(','); // the report holds a comma: quoted, so read the labels from the end
        Assert.AreEqual("1.0", first[^(ChexpertLabels.Count - ChexpertLabels.IndexOf("Pleural Effusion"))]);
        Assert.AreEqual("0.0", first[^(ChexpertLabels.Count - ChexpertLabels.IndexOf("Pneumothorax"))]);
        StringAssert.StartsWith(rows[2], "Normal chest radiograph.,1.0,");
        // --conventions extended reads "ETT" as a device; the default, CheXpert's, does not.
        File.WriteAllLines(list, ["ETT terminates 4 cm above the carina."]);
        foreach (var (conventions, expected) in new[] { ("chexpert", ""), ("extended", "1.0") })
        {
            var labelled = Tool.CommandLineTests.RunPrior(
                "label-reports",
                "--reports",
                list,
                "--out",
                Path.Combine(dir, "labels.csv"),
                "--conventions",
                conventions
            );
            Assert.AreEqual(0, labelled.Code, labelled.Err);
            Assert.AreEqual(expected, File.ReadAllLines(Path.Combine(dir, "labels.csv"))[1].Split(',')[^1], conventions);
        }
    }

    [TestMethod]
    public void AgreesWithTheSyntheticReportsKnownLabels()
    {
        // The generator knows each report's labels (mimic-cxr-2.0.0-chexpert.csv); per-label F1 of the positive class.
        var ml = new MLContext(seed: 1);
        var studies = ml.Data.CreateEnumerable<MimicCxrStudy>(ml.Data.LoadMimicCxr(SyntheticFixture.Root), false).ToList();
        var f1 = Prior.MLNet.Evaluation.LabelAgreement.F1PerLabel(
            studies.Select(s => s.Labels).ToList(),
            studies.Select(s => Extended.LabelSentences(s.Sentences)).ToList()
        );
        Console.WriteLine(
            $"{studies.Count} synthetic reports, F1 per label: {string.Join(", ", f1.Select(kv => $"{kv.Key} {kv.Value:0.000}"))}; macro "
                + $"{f1.Values.Average():0.000}"
        );
        Assert.IsGreaterThanOrEqualTo(8, f1.Count, "most labels occur");
        Assert.IsGreaterThanOrEqualTo(0.95, f1.Values.Average(), "macro F1");
        // Scored by the extended conventions, the generator's own (it writes "plate-like atelectasis", which CheXpert's
        // "plate" reads as a device). Lung Opacity is where the generator and CheXpert's lists part: the generator calls the
        // opacity in "Streaky opacity … may reflect atelectasis" uncertain while CheXpert's rules assert it and hedge only
        // the atelectasis, and it counts "perihilar haziness" as an opacity, which is no CheXpert opacity phrase. Measured
        // 0.68 (0.80 before the rules followed CheXpert's lists); every other label 1.00.
        foreach (var (label, value) in f1)
            Assert.IsGreaterThanOrEqualTo(label == "Lung Opacity" ? 0.65 : 0.95, value, $"{label} F1 {value:0.000}");
    }
}
