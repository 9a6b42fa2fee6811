using Prior.MLNet.Evaluation;

namespace Prior.MLNet.Tests.Evaluation;

/// <summary>BLEU, ROUGE-L and clinical efficacy against counts worked out by hand.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ReportGenerationMetricsTests
{
    [TestMethod]
    public void BleuFourMatchesTheHandCountedPrecisions()
    {
        // Candidate / reference differ in one word: clipped matches 6/7, 4/6, 2/5, 1/4 (the doubled "the" clipped to one).
        double bleu = ReportGenerationMetrics.Bleu(["The cat sat on the mat today."], ["the cat sat on a mat today"]);
        Assert.AreEqual(Math.Pow(6.0 / 7 * 4.0 / 6 * 2.0 / 5 * 1.0 / 4, 0.25), bleu, 1e-12);
    }

    [TestMethod]
    public void BleuAppliesTheBrevityPenaltyAndPoolsTheCorpus()
    {
        // Every n-gram of the short candidate matches: BLEU is the brevity penalty exp(1 - 6/4).
        Assert.AreEqual(Math.Exp(1 - 6.0 / 4), ReportGenerationMetrics.Bleu(["the cat sat on"], ["the cat sat on the mat"]), 1e-12);
        // Corpus level: counts are pooled before the ratio (1-grams 4+2 of 4+3, ...), not per-sentence scores averaged.
        double pooled = ReportGenerationMetrics.Bleu(["a b c d", "x y z"], ["a b c d", "x y w"], maxOrder: 2);
        Assert.AreEqual(Math.Sqrt(6.0 / 7 * 4.0 / 5), pooled, 1e-12);
        Assert.AreEqual(0.0, ReportGenerationMetrics.Bleu(["no overlap here"], ["completely different words"]));
    }

    [TestMethod]
    public void RougeLUsesTheLongestCommonSubsequenceWithBetaOnePointTwo()
    {
        Assert.AreEqual(6.0 / 7, ReportGenerationMetrics.RougeL(["the cat sat on the mat today"], ["the cat sat on a mat today"]), 1e-12);
        // LCS("a b c d", "a c e") = 2: P = 1/2, R = 2/3, F = 2.44 P R / (R + 1.44 P).
        double p = 0.5,
            r = 2.0 / 3,
            expected = 2.44 * p * r / (r + 1.44 * p);
        Assert.AreEqual(expected, ReportGenerationMetrics.RougeL(["a b c d"], ["a c e"]), 1e-12);
        Assert.AreEqual((expected + 1) / 2, ReportGenerationMetrics.RougeL(["a b c d", "same"], ["a c e", "same"]), 1e-12);
        Assert.AreEqual(2, ReportGenerationMetrics.LongestCommonSubsequence(["a", "b", "c", "d"], ["a", "c", "e"]));
    }

    [TestMethod]
    public void ClinicalEfficacyCountsOnlyPositiveLabels()
    {
        float nan = float.NaN;
        // Report 1: TP at 0, FP at 1, FN at 2 (an uncertain -1 is not found). Report 2: TP at 0, FN at 2.
        var candidate = new[] { new[] { 1f, 1f, -1f }, new[] { 1f, 0f, nan } };
        var reference = new[] { new[] { 1f, 0f, 1f }, new[] { 1f, nan, 1f } };
        var (precision, recall, f1) = ReportGenerationMetrics.ClinicalEfficacy(candidate, reference);
        Assert.AreEqual(2.0 / 3, precision, 1e-12);
        Assert.AreEqual(2.0 / 4, recall, 1e-12);
        Assert.AreEqual(2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5), f1, 1e-12);
    }

    [TestMethod]
    public void MacroClinicalEfficacyAveragesEveryLabelAsScikitLearnDoes()
    {
        float nan = float.NaN;
        // Label 0: TP, TP → F1 1. Label 1: FP only, no positive reference → precision 0, recall 0/0 → F1 0.
        // Label 2: FN, FN → F1 0. Label 3: TP, FP → 2·1 / (2·1 + 1) = 2/3. Label 4: nobody has it → 0 (zero_division=0).
        // sklearn.metrics.f1_score(y_true, y_pred, average="macro", zero_division=0) on these gives (1 + 0 + 0 + 2/3 + 0) / 5.
        var candidate = new[] { new[] { 1f, 1f, -1f, 1f, 0f }, new[] { 1f, 0f, nan, 1f, nan } };
        var reference = new[] { new[] { 1f, 0f, 1f, 1f, 0f }, new[] { 1f, nan, 1f, 0f, -1f } };
        var (f1, withReference) = ReportGenerationMetrics.ClinicalEfficacyMacro(candidate, reference);
        Assert.AreEqual(3, withReference);
        Assert.AreEqual((1 + 0 + 0 + 2.0 / 3 + 0) / 5, f1, 1e-12);
        Assert.IsTrue(double.IsNaN(ReportGenerationMetrics.ClinicalEfficacyMacro([], []).F1), "no report");
    }

    [TestMethod]
    public void ExampleBasedClinicalEfficacyAveragesEachReportsF1()
    {
        float nan = float.NaN;
        // Report 1: candidate {0, 1}, reference {0, 2} → 2·1 / (2 + 2) = 0.5. Report 2: candidate {0}, reference {0} → 1.
        // Report 3: neither has a positive label → 0 (zero_division=0). Mean (0.5 + 1 + 0) / 3, as sklearn's
        // f1_score(average="samples", zero_division=0) gives.
        var candidate = new[] { new[] { 1f, 1f, -1f }, new[] { 1f, 0f, nan }, new[] { 0f, nan, -1f } };
        var reference = new[] { new[] { 1f, 0f, 1f }, new[] { 1f, nan, -1f }, new[] { nan, 0f, 0f } };
        Assert.AreEqual((0.5 + 1 + 0) / 3, ReportGenerationMetrics.ClinicalEfficacyExampleBased(candidate, reference), 1e-12);
        // A float64 recount by sets, independent of the counting loop.
        double bySets = candidate
            .Zip(reference)
            .Average(p =>
            {
                var c = Enumerable.Range(0, 3).Where(k => p.First[k] == 1f).ToHashSet();
                var r = Enumerable.Range(0, 3).Where(k => p.Second[k] == 1f).ToHashSet();
                return c.Count + r.Count == 0 ? 0.0 : 2.0 * c.Intersect(r).Count() / (c.Count + r.Count);
            });
        Assert.AreEqual(bySets, ReportGenerationMetrics.ClinicalEfficacyExampleBased(candidate, reference), 1e-12);
    }

    [TestMethod]
    public void TheConstantBaselineIsTheMostFrequentReportThenTheMostTypicalOne()
    {
        static (IReadOnlyList<string>, IReadOnlyList<string>) R(string findings, string impression) =>
            (
                [.. findings.Split('|', StringSplitOptions.RemoveEmptyEntries)],
                [.. impression.Split('|', StringSplitOptions.RemoveEmptyEntries)]
            );
        var repeated = new[]
        {
            R("Lungs clear.|No effusion.", "Normal."),
            R("Small effusion.", "Effusion."),
            R("Lungs clear.|No effusion.", "Normal."),
        };
        var constant = Prior.MLNet.Evaluation.ReportDraftEvaluation.MostFrequentReport(repeated);
        Assert.AreEqual("FINDINGS: Lungs clear. No effusion.\n\nIMPRESSION: Normal.", constant.Text);
        // All distinct: the report whose sentences are most frequent on average ("Lungs clear." ×3, "Normal." ×2).
        var distinct = new[]
        {
            R("Lungs clear.|Tiny nodule.", "Normal."),
            R("Lungs clear.", "Normal."),
            R("Lungs clear.|Edema.", "Edema."),
        };
        Assert.AreEqual(
            "FINDINGS: Lungs clear.\n\nIMPRESSION: Normal.",
            Prior.MLNet.Evaluation.ReportDraftEvaluation.MostFrequentReport(distinct).Text
        );
    }

    [TestMethod]
    public void LabelAgreementIsThePositiveClassF1OfEachLabelWithEnoughPositives()
    {
        int n = Prior.MLNet.Data.ChexpertLabels.Count,
            edema = Prior.MLNet.Data.ChexpertLabels.IndexOf("Edema");
        int fracture = Prior.MLNet.Data.ChexpertLabels.IndexOf("Fracture");
        float[] Row(float edemaValue, float fractureValue)
        {
            var row = Enumerable.Repeat(float.NaN, n).ToArray();
            row[edema] = edemaValue;
            row[fracture] = fractureValue;
            return row;
        }
        // Edema: 6 known positives, 5 found, 1 false alarm: F1 = 10 / (10 + 1 + 1). Fracture: 1 positive, left out.
        var truth = Enumerable.Range(0, 6).Select(_ => Row(1, 0)).Append(Row(0, 1)).ToList();
        var predicted = Enumerable.Range(0, 5).Select(_ => Row(1, 0)).Append(Row(-1, 0)).Append(Row(1, 1)).ToList();
        var f1 = LabelAgreement.F1PerLabel(truth, predicted);
        Assert.AreEqual(10.0 / 12, f1["Edema"], 1e-12);
        Assert.IsFalse(f1.ContainsKey("Fracture"));
    }
}
