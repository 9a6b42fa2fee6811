using System.Buffers;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Decoding into a pool's buffers (what prior serve does, so that large uploads reuse memory): the network's input is
/// the same as without a pool, for every form the general decoder handles, and the buffers come back to the pool.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class PooledDecodingTests
{
    [TestMethod]
    [DataRow("images/gray8.png")]
    [DataRow("images/gray16.png")]
    [DataRow("images/rgb.png")]
    [DataRow("images/rgba.png")]
    [DataRow("images/rgb-exif-rotated.jpg")]
    [DataRow("images/cmyk.jpg")]
    [DataRow("images/gray-progressive.jpg")]
    public void APoolGivesTheNetworkTheSameInputAndGetsItsBuffersBack(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine([RepositoryPaths.TestData, .. file.Split('/')]));
        var preprocessor = new ImagePreprocessor(32);
        var pool = new CountingPool();
        var pooled = preprocessor.LoadBytes(file, bytes, new ImageReadOptions { Buffers = pool });
        CollectionAssert.AreEqual(preprocessor.LoadBytes(file, bytes), pooled, file);
        Assert.IsGreaterThan(0, pool.Rented, "the general decoder's buffers came from the pool");
        Assert.AreEqual(pool.Rented, pool.Returned, "and went back");
    }

    private sealed class CountingPool : ArrayPool<byte>
    {
        private readonly ArrayPool<byte> _inner = Create(1 << 24, 4);
        public int Rented { get; private set; }
        public int Returned { get; private set; }

        public override byte[] Rent(int minimumLength)
        {
            Rented++;
            return _inner.Rent(minimumLength);
        }

        public override void Return(byte[] array, bool clearArray = false)
        {
            Returned++;
            _inner.Return(array, clearArray);
        }
    }
}
