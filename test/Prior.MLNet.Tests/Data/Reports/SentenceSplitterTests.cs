using Prior.MLNet.Data.Reports;

namespace Prior.MLNet.Tests.Data.Reports;

/// <summary>Hand-written radiology texts with the cases general sentence splitters get wrong.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class SentenceSplitterTests
{
    private static void AssertSplits(string text, params string[] expected) =>
        CollectionAssert.AreEqual(expected, SentenceSplitter.Split(text).ToArray(), string.Join(" | ", SentenceSplitter.Split(text)));

    [TestMethod]
    public void LineWrappedSentencesAreJoined() =>
        AssertSplits(
            " There is no focal consolidation, pleural effusion or pneumothorax.  Bilateral\n nodular opacities most likely represent "
                + "nipple shadows. The\n cardiomediastinal silhouette is normal.",
            "There is no focal consolidation, pleural effusion or pneumothorax.",
            "Bilateral nodular opacities most likely represent nipple shadows.",
            "The cardiomediastinal silhouette is normal."
        );

    [TestMethod]
    public void NumberedImpressionsOnSeparateLinesLoseTheirMarkers() =>
        AssertSplits(
            " 1. Moderate cardiomegaly with mild pulmonary edema.\n 2. Small left pleural effusion\n 3.  No pneumothorax.",
            "Moderate cardiomegaly with mild pulmonary edema.",
            "Small left pleural effusion",
            "No pneumothorax."
        );

    [TestMethod]
    public void InlineNumberedItemsAreSplitToo() =>
        AssertSplits("1. Right lower lobe pneumonia. 2. Stable cardiomegaly.", "Right lower lobe pneumonia.", "Stable cardiomegaly.");

    [TestMethod]
    public void TitlesDecimalsAndLatinAbbreviationsDoNotEndSentences() =>
        AssertSplits(
            "Findings were discussed with Dr. ___ at 2:30 p.m. on ___. A 2.5 cm nodule, e.g. a granuloma, is seen i.e. unchanged. "
                + "Compared vs. prior.",
            "Findings were discussed with Dr. ___ at 2:30 p.m. on ___.",
            "A 2.5 cm nodule, e.g. a granuloma, is seen i.e. unchanged.",
            "Compared vs. prior."
        );

    [TestMethod]
    public void QuestionsExclamationsAndParagraphBreaksEndSentences() =>
        AssertSplits(
            "Is there a pneumothorax? No!\n \n New paragraph without a period\n\nAnother one.",
            "Is there a pneumothorax?",
            "No!",
            "New paragraph without a period",
            "Another one."
        );

    [TestMethod]
    public void EmptyAndPunctuationOnlyTextGivesNoSentences()
    {
        Assert.IsEmpty(SentenceSplitter.Split(null));
        Assert.IsEmpty(SentenceSplitter.Split("  \n "));
        Assert.IsEmpty(SentenceSplitter.Split(" ___. ... "));
    }
}
