using Prior.MLNet.Text;

namespace Prior.MLNet.Tests.Text;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ReportTokenizerTests
{
    private static string WriteVocabulary(IEnumerable<string> tokens)
    {
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "vocab.txt");
        File.WriteAllLines(path, tokens);
        return path;
    }

    [TestMethod]
    public void BuilderIsDeterministicCasedAndSpellsEveryWord()
    {
        var texts = new[] { "No pleural effusion.", "Small left pleural effusion, likely atelectasis.", "No pneumothorax." };
        var a = WordPieceVocabularyBuilder.Build(texts);
        var b = WordPieceVocabularyBuilder.Build(texts.Reverse());
        CollectionAssert.AreEqual(a.ToArray(), b.ToArray(), "order of the texts must not matter");
        CollectionAssert.AreEqual(WordPieceVocabularyBuilder.SpecialTokens.ToArray(), a.Take(5).ToArray());
        Assert.AreEqual(a.Count, a.Distinct().Count());
        CollectionAssert.Contains(a.ToList(), "pleural");
        CollectionAssert.Contains(a.ToList(), "No");
        CollectionAssert.Contains(a.ToList(), "##x");
        CollectionAssert.Contains(a.ToList(), ",");

        // A word never seen is spelled from characters, never [UNK].
        var tokenizer = new ReportTokenizer(WriteVocabulary(a), maxLength: 32);
        var ids = tokenizer.TokenIds("Small pleurax");
        Assert.IsFalse(ids.Contains(1), "no [UNK]");
        // The most frequent words come first after the characters: "pleural" and "effusion" appear twice.
        Assert.IsLessThan(a.ToList().IndexOf("likely"), a.ToList().IndexOf("effusion"));
    }

    [TestMethod]
    public void EncodeLaysSentencesAfterClsWithTheirIndicesThenSepAndPadding()
    {
        // A 14-token inline vocabulary, as the ML.NET tokenizer tests do: ids are the line numbers.
        var vocabulary = new[]
        {
            "[PAD]",
            "[UNK]",
            "[CLS]",
            "[SEP]",
            "[MASK]",
            "No",
            "effusion",
            ".",
            "Heart",
            "is",
            "normal",
            "small",
            "##er",
            "Small",
        };
        var tokenizer = new ReportTokenizer(WriteVocabulary(vocabulary), maxLength: 12);
        var encoded = tokenizer.Encode(["No effusion.", "Heart is normal.", "Smaller."]);
        CollectionAssert.AreEqual(new long[] { 2, 5, 6, 7, 8, 9, 10, 7, 13, 12, 7, 3 }, encoded.InputIds);
        CollectionAssert.AreEqual(new long[] { -1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, -1 }, encoded.SentenceIndex);
        CollectionAssert.AreEqual(Enumerable.Repeat(1L, 12).ToArray(), encoded.AttentionMask);
        Assert.AreEqual(3, encoded.SentenceCount);

        var shorter = tokenizer.Encode(["No effusion."]);
        CollectionAssert.AreEqual(new long[] { 2, 5, 6, 7, 3, 0, 0, 0, 0, 0, 0, 0 }, shorter.InputIds);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0 }, shorter.AttentionMask);
        CollectionAssert.AreEqual(new long[] { -1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1 }, shorter.SentenceIndex);
    }

    [TestMethod]
    public void ALongReportIsCutMidSentenceAndStillEndsWithSep()
    {
        var vocabulary = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "No", "effusion", "." };
        var tokenizer = new ReportTokenizer(WriteVocabulary(vocabulary), maxLength: 6);
        var encoded = tokenizer.Encode(["No effusion.", "No effusion."]);
        CollectionAssert.AreEqual(new long[] { 2, 5, 6, 7, 5, 3 }, encoded.InputIds);
        CollectionAssert.AreEqual(new long[] { -1, 1, 1, 1, 2, -1 }, encoded.SentenceIndex);
        Assert.AreEqual(2, encoded.SentenceCount);
    }

    [TestMethod]
    public void AVocabularyWithoutSpecialTokensIsRejectedByName()
    {
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => new ReportTokenizer(WriteVocabulary(["[PAD]", "[UNK]", "word"])));
        StringAssert.Contains(ex.Message, "[CLS]");
        StringAssert.Contains(ex.Message, "vocab.txt");
    }
}
