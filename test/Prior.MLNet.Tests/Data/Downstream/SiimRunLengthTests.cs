using Prior.MLNet.Data.Downstream;

namespace Prior.MLNet.Tests.Data.Downstream;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class SiimRunLengthTests
{
    [TestMethod]
    public void DecodesColumnMajorRelativeRunsByHand()
    {
        // 3 wide, 2 high. Column-major pixels: 0 (row 0, col 0), 1 (row 1, col 0), 2 (row 0, col 1), 3, 4 (row 0, col 2), 5.
        // "1 2 1 1": skip 1, run pixels 1-2; skip 1 (pixel 3), run pixel 4.
        var mask = SiimRunLength.Decode("1 2 1 1", width: 3, height: 2);
        CollectionAssert.AreEqual(new byte[] { 0, 1, 1, 1, 0, 0 }, mask);
        Assert.AreEqual("1 2 1 1", SiimRunLength.Encode(mask, 3, 2));
    }

    [TestMethod]
    public void EmptyMasksAndTheirSpellings()
    {
        CollectionAssert.AreEqual(new byte[4], SiimRunLength.Decode("-1", 2, 2));
        CollectionAssert.AreEqual(new byte[4], SiimRunLength.Decode(" ", 2, 2));
        Assert.AreEqual("-1", SiimRunLength.Encode(new byte[4], 2, 2));
        Assert.IsNull(SiimRunLength.Check(" -1"));
    }

    [TestMethod]
    public void MalformedRunsAreNamed()
    {
        Assert.ThrowsExactly<FormatException>(() => SiimRunLength.Decode("1 2 3", 3, 2));
        Assert.ThrowsExactly<FormatException>(() => SiimRunLength.Decode("4 3", 3, 2), "a run past the image's end");
        Assert.ThrowsExactly<FormatException>(() => SiimRunLength.Decode("a 1", 3, 2));
        StringAssert.Contains(SiimRunLength.Check("1 2 3"), "pairs");
        StringAssert.Contains(SiimRunLength.Check("1 -2"), "'-2'");
    }

    [TestMethod]
    public void RandomMasksRoundTripAndUnionsAdd()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 50; trial++)
        {
            int w = random.Next(1, 20),
                h = random.Next(1, 20);
            var mask = Enumerable.Range(0, w * h).Select(_ => (byte)(random.NextDouble() < 0.3 ? 1 : 0)).ToArray();
            CollectionAssert.AreEqual(mask, SiimRunLength.Decode(SiimRunLength.Encode(mask, w, h), w, h), $"{w}×{h}");
        }
        var union = new byte[6];
        SiimRunLength.DecodeInto("0 1", 3, 2, union);
        SiimRunLength.DecodeInto("5 1", 3, 2, union);
        CollectionAssert.AreEqual(new byte[] { 1, 0, 0, 0, 0, 1 }, union);
    }
}
