using Prior.MLNet.Data.Csv;

namespace Prior.MLNet.Tests.Data.Csv;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class CsvReaderTests
{
    private static List<CsvRecord> Read(string text) => CsvReader.Read(new StringReader(text)).ToList();

    [TestMethod]
    public void QuotedFieldsWithCommasQuotesAndLineBreaksKeepTheirRecordsLineNumbers()
    {
        var records = Read("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",z\r\n3,,\n");
        Assert.HasCount(4, records);
        CollectionAssert.AreEqual(new[] { "1", "x, y", "say \"hi\"" }, records[1].Fields);
        CollectionAssert.AreEqual(new[] { "2", "two\nlines", "z" }, records[2].Fields);
        CollectionAssert.AreEqual(new[] { "3", "", "" }, records[3].Fields);
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 5 }, records.Select(r => r.LineNumber).ToArray());
        Assert.IsTrue(records.All(r => r.Error is null));
    }

    [TestMethod]
    public void BlankLinesAreSkippedAndALastLineWithoutNewlineIsRead()
    {
        var records = Read("h1,h2\n\n1,2\n3,4");
        Assert.HasCount(3, records);
        CollectionAssert.AreEqual(new[] { "3", "4" }, records[2].Fields);
        Assert.AreEqual(4, records[2].LineNumber);
    }

    [TestMethod]
    public void AnUnclosedQuoteIsReportedOnTheRecordThatOpensIt()
    {
        var records = Read("h\n\"open\nnever closed\n");
        Assert.HasCount(2, records);
        Assert.IsNotNull(records[1].Error);
        Assert.AreEqual(2, records[1].LineNumber);
    }

    [TestMethod]
    public void MissingHeaderColumnsAreNamedWithTheFile()
    {
        var header = Read("dicom_id,study_id\n")[0];
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => CsvReader.IndexHeader(header, "meta.csv", "dicom_id", "ViewPosition"));
        StringAssert.Contains(ex.Message, "meta.csv");
        StringAssert.Contains(ex.Message, "'ViewPosition'");
    }

    [TestMethod]
    public void WriterQuotesOnlyWhatNeedsItAndRoundTrips()
    {
        var writer = new StringWriter();
        var fields = new[] { "plain", "a,b", "q\"q", "", "line\nbreak" };
        CsvWriter.WriteRow(writer, fields);
        Assert.AreEqual("plain,\"a,b\",\"q\"\"q\",,\"line\nbreak\"\n", writer.ToString());
        CollectionAssert.AreEqual(fields, Read(writer.ToString())[0].Fields);
    }
}
