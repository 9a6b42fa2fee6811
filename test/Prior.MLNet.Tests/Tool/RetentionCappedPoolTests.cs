using Prior.MLNet.Tool.Serve;

namespace Prior.MLNet.Tests.Tool;

/// <summary>The server's buffer pools keep at most their cap of returned arrays, and reuse what they keep.</summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class RetentionCappedPoolTests
{
    [TestMethod]
    public void KeepsReturnedArraysUpToItsCapAndReusesThem()
    {
        var pool = new RetentionCappedPool(capacity: 3 << 20, maxArrayLength: 1 << 24);
        var arrays = Enumerable.Range(0, 5).Select(_ => pool.Rent(1 << 20)).ToList();
        Assert.IsTrue(arrays.All(a => a.Length == 1 << 20), "a power-of-two request gets an array of its size");
        foreach (var array in arrays)
            pool.Return(array);
        Assert.AreEqual(3L << 20, pool.HeldBytes, "three of the five fit the 3 MiB cap; the other two went to the collector");
        var again = Enumerable.Range(0, 3).Select(_ => pool.Rent(1 << 20)).ToList();
        Assert.AreEqual(0L, pool.HeldBytes, "renting takes the kept arrays out of the count");
        Assert.AreEqual(3, again.Count(a => arrays.Any(b => ReferenceEquals(a, b))), "the kept arrays are the ones handed out again");
        foreach (var array in again)
            pool.Return(array);
        // Another size class shares the same cap: a 2 MiB array does not fit beside 3 MiB already kept.
        pool.Return(pool.Rent(2 << 20));
        Assert.AreEqual(3L << 20, pool.HeldBytes);
        // Arrays longer than the pool's largest are neither kept nor counted.
        pool.Return(pool.Rent((1 << 24) + 1));
        Assert.AreEqual(3L << 20, pool.HeldBytes);
    }

    [TestMethod]
    public void HoldsNoMoreThanItsCapUnderConcurrentUse()
    {
        var pool = new RetentionCappedPool(capacity: 8 << 20, maxArrayLength: 1 << 24);
        Parallel.For(0, 2_000, i =>
        {
            var array = pool.Rent(1 << (16 + i % 6)); // 64 KiB to 2 MiB
            Assert.IsLessThanOrEqualTo(8L << 20, pool.HeldBytes);
            pool.Return(array);
        });
        Assert.IsLessThanOrEqualTo(8L << 20, pool.HeldBytes);
        Assert.IsGreaterThan(0L, pool.HeldBytes, "something is kept for reuse");
    }
}
