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

    private static float Value(string sentence, string label) => Labeler.LabelSentences([sentence])[ChexpertLabels.IndexOf(label)];

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
    [DataRow("Kerley B lines suggest interstitial edema.", "Support Devices", float.NaN)]
    [DataRow("A visceral pleural line is seen at the right apex.", "Support Devices", float.NaN)]
    [DataRow("Small pericardial effusion.", "Pleural Effusion", float.NaN)]
    [DataRow("Old healed left rib fractures.", "Fracture", 1f)]
    public void ReadsMentionsNegationsAndUncertaintyAsARadiologistWould(string sentence, string label, float expected)
    {
        Assert.AreEqual(expected, Value(sentence, label), $"{label} in \"{sentence}\"");
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
    }

    [TestMethod]
    public void AgreesWithTheSyntheticReportsKnownLabels()
    {
        // The generator knows each report's labels (mimic-cxr-2.0.0-chexpert.csv); per-label F1 of the positive class.
        var ml = new MLContext(seed: 1);
        var studies = ml.Data.CreateEnumerable<MimicCxrStudy>(ml.Data.LoadMimicCxr(SyntheticFixture.Root), false).ToList();
        var f1 = Prior.MLNet.Evaluation.LabelAgreement.F1PerLabel(
            studies.Select(s => s.Labels).ToList(),
            studies.Select(s => Labeler.LabelSentences(s.Sentences)).ToList()
        );
        Console.WriteLine(
            $"{studies.Count} synthetic reports, F1 per label: {string.Join(", ", f1.Select(kv => $"{kv.Key} {kv.Value:0.000}"))}; macro "
                + $"{f1.Values.Average():0.000}"
        );
        Assert.IsGreaterThanOrEqualTo(8, f1.Count, "most labels occur");
        Assert.IsGreaterThanOrEqualTo(0.95, f1.Values.Average(), "macro F1");
        // Lung Opacity is where the generator and CheXpert's conventions part: in "Streaky opacity at the left base may
        // reflect atelectasis" the generator calls the opacity uncertain, the labeler (as CheXpert's) asserts it and
        // hedges only the atelectasis. Measured 0.80; every other label 0.97 or more.
        foreach (var (label, value) in f1)
            Assert.IsGreaterThanOrEqualTo(label == "Lung Opacity" ? 0.75 : 0.95, value, $"{label} F1 {value:0.000}");
    }
}
