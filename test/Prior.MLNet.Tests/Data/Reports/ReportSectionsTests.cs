using Prior.MLNet.Data.Reports;

namespace Prior.MLNet.Tests.Data.Reports;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ReportSectionsTests
{
    // Written by hand in the MIMIC-CXR style; not patient data.
    private const string Report =
        "                                 FINAL REPORT\n"
        + " EXAMINATION:  CHEST (PA AND LAT)\n \n"
        + " INDICATION:  ___F with cough.  Evaluate for pneumonia.\n \n"
        + " TECHNIQUE:  Chest PA and lateral\n \n"
        + " COMPARISON:  None.\n \n"
        + " FINDINGS: \n \n"
        + " Heart size is normal.  There is a small right pleural effusion.  No\n pneumothorax.\n \n"
        + " IMPRESSION: \n \n"
        + " 1.  Small right pleural effusion.\n 2.  No pneumonia.\n";

    [TestMethod]
    public void SplitsMimicHeadersAndKeepsFindingsAndImpression()
    {
        var sections = ReportSections.Parse(Report);
        Assert.AreEqual("FINAL REPORT", sections.Preamble);
        CollectionAssert.AreEqual(
            new[] { "EXAMINATION", "INDICATION", "TECHNIQUE", "COMPARISON", "FINDINGS", "IMPRESSION" },
            sections.Sections.Select(s => s.Key).ToArray()
        );
        Assert.AreEqual(
            "Heart size is normal. There is a small right pleural effusion. No pneumothorax.",
            ReportSections.Flatten(sections.Findings!)
        );
        var parsed = ParsedReport.Parse(Report)!;
        CollectionAssert.AreEqual(
            new[]
            {
                "Small right pleural effusion.",
                "No pneumonia.",
                "Heart size is normal.",
                "There is a small right pleural effusion.",
                "No pneumothorax.",
            },
            parsed.Sentences.ToArray()
        );
    }

    [TestMethod]
    public void AReportWithoutFindingsOrImpressionHasNoUsableSection()
    {
        const string text =
            "                                 FINAL REPORT\n EXAMINATION:  CHEST (PORTABLE AP)\n \n INDICATION:  Line placement.\n";
        Assert.IsNull(ParsedReport.Parse(text));
    }

    [TestMethod]
    public void CrLfReportsParseLikeLfReports()
    {
        var lf = ParsedReport.Parse(Report)!;
        var crlf = ParsedReport.Parse(Report.Replace("\n", "\r\n"))!;
        CollectionAssert.AreEqual(lf.Sentences.ToArray(), crlf.Sentences.ToArray());
    }

    [TestMethod]
    public void ImpressionOnlyReportsAndAddendaAreHandled()
    {
        const string text =
            "                                 FINAL REPORT\n IMPRESSION: \n \n No acute process.  Lungs are clear.\n \n ADDENDUM: \n \n "
            + "Discussed with Dr. ___.\n";
        var parsed = ParsedReport.Parse(text)!;
        Assert.AreEqual(string.Empty, parsed.Findings);
        CollectionAssert.AreEqual(new[] { "No acute process.", "Lungs are clear." }, parsed.Sentences.ToArray());
    }
}
