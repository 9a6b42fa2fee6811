using Prior.MLNet.IO;

namespace Prior.MLNet.Tests.IO;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class AtomicFileTests
{
    [TestMethod]
    public void AFailedWriteKeepsTheOldFileAndLeavesNoTemporary()
    {
        var dir = SyntheticFixture.NewTempFolder();
        var path = Path.Combine(dir, "index.jsonl");
        File.WriteAllText(path, "old");
        Assert.ThrowsExactly<InvalidOperationException>(() => AtomicFile.WriteText(path, w =>
            {
                w.Write("half of the new content");
                throw new InvalidOperationException("disk full");
            }));
        Assert.AreEqual("old", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(dir));
    }

    [TestMethod]
    public void GzNamesAreCompressedAndReadBackTransparently()
    {
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "table.csv.gz");
        CompressedText.WriteAtomically(path, w => w.Write("a,b\n1,2\n"));
        var bytes = File.ReadAllBytes(path);
        Assert.AreEqual((byte)0x1f, bytes[0]);
        using var reader = CompressedText.OpenRead(path);
        Assert.AreEqual("a,b\n1,2\n", reader.ReadToEnd());
        Assert.AreEqual(path, CompressedText.Resolve(path[..^3]));
    }
}
