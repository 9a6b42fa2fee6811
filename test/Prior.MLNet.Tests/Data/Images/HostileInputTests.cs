using System.Buffers.Binary;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Every decoder under hostile input: seeded byte changes, truncations and header-size lies applied to valid JPEG, PNG
/// and DICOM files of every codec the library reads. Each outcome must be an image within the budget or a named
/// refusal (<see cref="InvalidDataException"/> naming the file) - never another exception, a hang, or an allocation
/// beyond a fixed multiple of the budget.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class HostileInputTests
{
    private const long Budget = 1_000_000;
    private const long AllocationCeiling = 64 * Budget; // 64 bytes a pixel of budget, whatever the file declares

    private static readonly string[] Sources =
    [
        "images/gray-baseline.jpg",
        "images/gray-progressive.jpg",
        "images/rgb-baseline.jpg",
        "images/rgb-progressive.jpg",
        "images/gray8.png",
        "images/gray16.png",
        "images/rgba.png",
        "dicom/explicit-le.dcm",
        "dicom/implicit-le.dcm",
        "dicom/jpeg-baseline.dcm",
        "dicom/lossless-sv1-12bit.dcm",
        "dicom/conformance/files/gray12-explicit-big-endian.dcm",
        "dicom/conformance/files/gray12-deflated.dcm",
        "dicom/conformance/files/gray12-rle-dcmtk.dcm",
        "dicom/conformance/files/gray12-jpeg-extended-dcmtk.dcm",
        "dicom/conformance/files/gray12-jpegls-near2-dcmtk.dcm",
        "dicom/conformance/files/rgb-jpegls-line-dcmtk.dcm",
        "dicom/conformance/files/gray12-j2k-lossless-gdcm.dcm",
        "dicom/conformance/files/rgb-jpeg-no-transform-dcmtk.dcm",
        "dicom/conformance/files/palette-native.dcm",
        "dicom/conformance/files/gray12-multiframe-rle.dcm",
        "dicom/conformance/files/gray1-native.dcm",
    ];

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void DamagedAndLyingFilesOfEveryFormAreReadOrRefusedByNameWithinBounds()
    {
        // (Run once with 60,000 trials on this machine: every outcome an image or a named refusal.)
        const int Trials = 6000;
        var random = new DeterministicRandom(39);
        var options = new ImageReadOptions { MaxPixels = Budget };
        var files = Sources.Select(s => File.ReadAllBytes(Path.Combine([RepositoryPaths.TestData, .. s.Split('/')]))).ToArray();
        int read = 0,
            refused = 0;
        long worstAllocation = 0;
        var kinds = new Dictionary<string, int>();
        for (int trial = 0; trial < Trials; trial++)
        {
            int source = trial % files.Length;
            var bytes = (byte[])files[source].Clone();
            string mutation;
            switch (trial / files.Length % 4)
            {
                case 0:
                    mutation = "cut";
                    bytes = bytes.AsSpan(0, 1 + random.Next(bytes.Length - 1)).ToArray();
                    break;
                case 1:
                    mutation = "bytes";
                    for (int c = 1 + random.Next(4); c > 0; c--)
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
                case 2:
                    mutation = "bytes in the last tenth"; // where the scans and pixel data are
                    for (int c = 1 + random.Next(8); c > 0; c--)
                        bytes[bytes.Length - 1 - random.Next(Math.Max(1, bytes.Length / 10))] = (byte)random.Next(256);
                    break;
                default:
                    mutation = "size";
                    bytes = LieAboutSize(bytes, 1 + random.Next(65535), 1 + random.Next(65535));
                    break;
            }
            string name = $"trial {trial} ({Sources[source]}, {mutation})";
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var (pixels, width, height) = GrayscaleImage.Decode(name, bytes, 0, options);
                Assert.HasCount(width * height, pixels, name);
                Assert.IsLessThanOrEqualTo(Budget, (long)width * height, name);
                read++;
            }
            catch (InvalidDataException error)
            {
                StringAssert.StartsWith(error.Message, name + ": ", "the refusal names the input");
                refused++;
                string kind = error.Message[(name.Length + 2)..].Split(' ', 3)[0].TrimEnd(':');
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            worstAllocation = Math.Max(worstAllocation, allocated);
            Assert.IsLessThanOrEqualTo(AllocationCeiling, allocated, $"{name}: managed bytes allocated");
        }
        Console.WriteLine(
            $"{Trials} hostile inputs: {read} read, {refused} refused by name "
                + $"({string.Join(", ", kinds.OrderByDescending(k => k.Value).Take(8).Select(k => $"{k.Key} {k.Value}"))}); "
                + $"most managed bytes for one: {worstAllocation:N0}"
        );
        Assert.IsGreaterThan(Trials / 20, read, "damaged files that still decode are read");
        Assert.IsGreaterThan(Trials / 4, refused);
    }

    // The size in every header the file has: a JPEG's frame header (also inside a DICOM), a DICOM's Rows and Columns
    // (explicit or implicit VR little endian: the value sits 8 bytes after the tag either way), a PNG's IHDR (its CRC
    // left stale, as a careless writer might).
    private static byte[] LieAboutSize(byte[] bytes, int width, int height)
    {
        var lie = (byte[])bytes.Clone();
        for (int i = 0; i + 9 < lie.Length; i++)
        {
            if (lie[i] == 0xFF && lie[i + 1] is >= 0xC0 and <= 0xC3 or >= 0xC9 and <= 0xCB or 0xF7)
            {
                BinaryPrimitives.WriteUInt16BigEndian(lie.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(lie.AsSpan(i + 7), (ushort)width);
                break;
            }
        }
        if (lie.Length > 24 && lie.AsSpan(1, 3).SequenceEqual("PNG"u8))
        {
            BinaryPrimitives.WriteUInt32BigEndian(lie.AsSpan(16), (uint)width);
            BinaryPrimitives.WriteUInt32BigEndian(lie.AsSpan(20), (uint)height);
        }
        var tag = new byte[4];
        foreach (var (element, value) in new[] { (0x00100028u, height), (0x00110028u, width) })
        {
            BinaryPrimitives.WriteUInt32LittleEndian(tag, element);
            int at = lie.AsSpan().IndexOf(tag);
            if (at >= 0 && at + 10 <= lie.Length)
                BinaryPrimitives.WriteUInt16LittleEndian(lie.AsSpan(at + 8), (ushort)value);
        }
        return lie;
    }
}
