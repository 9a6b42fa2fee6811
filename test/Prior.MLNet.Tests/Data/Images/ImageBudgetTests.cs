using Prior.MLNet.Data.Images;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Decoding within a budget, decided before allocating: a file declaring more pixels than the budget is refused from
/// its header, and one declaring more than its data can hold is refused as corrupt, each before any large allocation
/// (the managed bytes the decode allocates are counted); a scan that ends early is refused, never filled with gray.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ImageBudgetTests
{
    private const long Ceiling = 16L << 20; // far below any of the lies' pixel counts

    private static byte[] File_(params string[] parts) => File.ReadAllBytes(Path.Combine([RepositoryPaths.TestData, .. parts]));

    // Decodes, returning the refusal and the managed bytes this thread allocated meanwhile.
    private static (InvalidDataException Error, long Allocated) Refusal(byte[] bytes, ImageReadOptions? options = null)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsExactly<InvalidDataException>(() =>
            GrayscaleImage.Decode("upload", bytes, 0, options ?? ImageReadOptions.Default)
        );
        return (error, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    [DataRow("JPEG gray baseline", "images/gray-baseline.jpg")]
    [DataRow("JPEG gray progressive", "images/gray-progressive.jpg")]
    [DataRow("JPEG colour baseline", "images/rgb-baseline.jpg")]
    [DataRow("JPEG colour progressive", "images/rgb-progressive.jpg")]
    [DataRow("DICOM JPEG baseline", "dicom/jpeg-baseline.dcm")]
    [DataRow("DICOM JPEG lossless", "dicom/lossless-sv1-12bit.dcm")]
    [DataRow("DICOM JPEG 12-bit", "dicom/conformance/files/gray12-jpeg-extended-dcmtk.dcm")]
    [DataRow("DICOM JPEG-LS", "dicom/conformance/files/gray12-jpegls-lossless-dcmtk.dcm")]
    public void AFileClaimingMorePixelsThanItsDataHoldsIsRefusedBeforeAllocatingThem(string form, string file)
    {
        // 19,000 × 19,000: 361 M pixels from a few kilobytes, under the library's 400 M budget, so only the data can tell.
        // (JPEG-LS can code a flat line in one bit, so its lie shows only where the data runs out: rows are allocated as
        // they are decoded.)
        var lie = HostileImages.WithJpegSize(File_(file.Split('/')), 19_000, 19_000);
        if (file.EndsWith(".dcm", StringComparison.Ordinal))
            lie = HostileImages.WithDicomSize(lie, 19_000, 19_000);
        var (error, allocated) = Refusal(lie);
        StringAssert.StartsWith(error.Message, "upload: ", form);
        StringAssert.Contains(error.Message, "corrupt", form);
        Assert.IsLessThan(Ceiling, allocated, $"{form}: bytes allocated before the refusal");
    }

    [TestMethod]
    public void AScanThatEndsEarlyIsRefusedNamingHowFarItGotNeverFilled()
    {
        var jpeg = File_("images", "huge-4200x3400.jpg");
        int scan = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xDA });
        // Cut at nine tenths of its scan, the end marker put back: enough data to pass the size check, not enough to finish.
        var cut = jpeg.AsSpan(0, scan + (jpeg.Length - scan) * 9 / 10).ToArray().Concat(new byte[] { 0xFF, 0xD9 }).ToArray();
        var (error, _) = Refusal(cut);
        StringAssert.Matches(
            error.Message,
            new System.Text.RegularExpressions.Regex(@"corrupt: the JPEG data ends after [\d,]+ of 223,125 blocks")
        );
        var lossless = File_("dicom", "lossless-sv1-12bit.dcm");
        var cutLossless = lossless
            .AsSpan(0, lossless.Length - 3000)
            .ToArray()
            .Concat(new byte[] { 0xFF, 0xD9, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0 })
            .ToArray();
        // (The DICOM's fragment length still says the whole: the cut file is truncated at the DICOM level first.)
        StringAssert.Contains(Refusal(cutLossless).Error.Message, "truncated");
    }

    [TestMethod]
    public void AnImageOverTheBudgetIsRefusedFromItsHeaderNamingTheBudget()
    {
        var options = new ImageReadOptions { MaxPixels = 50_000_000 };
        var bomb = HostileImages.GrayPng(19_000, 19_000);
        Assert.IsLessThan(400_000, bomb.Length, "a decompression bomb: 361 M pixels in a few hundred kilobytes");
        var (error, allocated) = Refusal(bomb, options);
        Assert.IsTrue(ImageBudget.IsOverBudget(error, out long budget), error.Message);
        Assert.AreEqual(50_000_000, budget);
        StringAssert.Contains(error.Message, "19,000 × 19,000 = 361,000,000 pixels is more than the pixel budget of 50,000,000");
        Assert.IsLessThan(Ceiling + 2 * bomb.Length, allocated);
        // Every format's header is checked against it: a JPEG, a DICOM, a lossless and a JPEG-LS DICOM of 96 × 80.
        var small = new ImageReadOptions { MaxPixels = 96 * 80 - 1 };
        foreach (
            var file in new[]
            {
                File_("dicom", "radiograph.jpg"),
                File_("dicom", "explicit-le.dcm"),
                File_("dicom", "lossless-sv1-12bit.dcm"),
                File_("dicom", "conformance", "files", "gray12-jpegls-lossless-dcmtk.dcm"),
                File_("dicom", "conformance", "files", "gray12-j2k-lossless-gdcm.dcm"),
                File_("dicom", "conformance", "files", "gray12-deflated.dcm"),
            }
        )
            Assert.IsTrue(ImageBudget.IsOverBudget(Refusal(file, small).Error, out _));
        Assert.HasCount(
            96 * 80,
            GrayscaleImage.Decode("x", File_("dicom", "explicit-le.dcm"), 0, new ImageReadOptions { MaxPixels = 96 * 80 }).Pixels
        );
    }

    [TestMethod]
    public void APngWhoseDataCannotInflateToItsRowsIsRefusedAsCorrupt()
    {
        // 20,000 × 20,000 declared, one row of data: no deflate stream that short holds 400 M bytes.
        var lie = HostileImages.GrayPng(20_000, 20_000, rows: 1);
        var (error, allocated) = Refusal(lie);
        StringAssert.Contains(error.Message, "corrupt: the PNG declares 20,000 × 20,000 pixels");
        Assert.IsLessThan(Ceiling, allocated);
        // A real, well-compressed picture of the same kind reads.
        Assert.HasCount(300 * 200, GrayscaleImage.Decode("ok", HostileImages.GrayPng(300, 200), 0).Pixels);
    }
}
