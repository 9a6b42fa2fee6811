using Prior.MLNet.Data.Images;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// DICOM read natively, checked against dcmtk: files made by dcmtk (TestData/dicom/README.md) read to the grey levels
/// dcmtk's own renderer gives (within one), the uncompressed and JPEG-baseline forms of a JPEG radiograph to its very
/// pixels, and the forms not read refused by name.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class DicomImageTests
{
    private static string Dicom(string name) => Path.Combine(RepositoryPaths.TestData, "dicom", name);

    [TestMethod]
    [DataRow("jpeg-baseline.dcm", "jpeg-baseline.pgm")]
    [DataRow("explicit-le.dcm", "explicit-le.pgm")]
    [DataRow("implicit-le.dcm", "explicit-le.pgm")]
    [DataRow("no-meta.dcm", "explicit-le.pgm")]
    [DataRow("rle.dcm", "explicit-le.pgm")]
    [DataRow("big-endian.dcm", "explicit-le.pgm")]
    [DataRow("explicit-le-12bit.dcm", "explicit-le-12bit.pgm")]
    [DataRow("lossless-sv1-12bit.dcm", "lossless-sv1-12bit.pgm")]
    [DataRow("lossless-sv6-12bit-monochrome1.dcm", "lossless-sv6-12bit-monochrome1.pgm")]
    [DataRow("lossless-sv1-12bit-nowindow.dcm", "lossless-sv1-12bit-nowindow.pgm")]
    public void EachFormReadsAsDcmtkRendersIt(string file, string reference)
    {
        var (ours, width, height) = GrayscaleImage.Read(Dicom(file));
        var (theirs, refWidth, refHeight) = Netpbm.ReadGray(Dicom(Path.Combine("reference", reference)));
        Assert.AreEqual((refWidth, refHeight), (width, height));
        int worst = 0;
        for (int i = 0; i < ours.Length; i++)
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]));
        Assert.IsLessThanOrEqualTo(1, worst, $"{file}: largest difference from dcmj2pnm, in grey levels");
        Assert.IsGreaterThan(20, ours.Max() - ours.Min(), "a real image, not a flat one");
    }

    [TestMethod]
    public void TheLosslessFileHoldsExactlyTheUncompressedValues()
    {
        // Lossless means the same stored values: the two files render identically, and so do the two predictors.
        var native = GrayscaleImage.Read(Dicom("explicit-le-12bit.dcm")).Pixels;
        CollectionAssert.AreEqual(native, GrayscaleImage.Read(Dicom("lossless-sv1-12bit.dcm")).Pixels);
        var inverted = GrayscaleImage.Read(Dicom("lossless-sv6-12bit-monochrome1.dcm")).Pixels;
        CollectionAssert.AreEqual(native.Select(v => (byte)(255 - v)).ToArray(), inverted, "MONOCHROME1 is the inverse");
    }

    [TestMethod]
    [DataRow("jpeg-baseline.dcm")]
    [DataRow("explicit-le.dcm")]
    [DataRow("implicit-le.dcm")]
    [DataRow("no-meta.dcm")]
    public void AJpegRadiographWrappedInDicomGivesTheNetworkTheSameInput(string file)
    {
        var jpeg = GrayscaleImage.Read(Dicom("radiograph.jpg"));
        var dicom = GrayscaleImage.Read(Dicom(file));
        CollectionAssert.AreEqual(jpeg.Pixels, dicom.Pixels, "the DICOM holds the JPEG's pixels (or its decompression)");
        var preprocessor = new ImagePreprocessor(64);
        var a = preprocessor.Load(Dicom("radiograph.jpg"), null);
        var b = preprocessor.Load(Dicom(file), null);
        for (int i = 0; i < a.Length; i++)
            Assert.AreEqual(a[i], b[i], 1e-4f);
    }

    [TestMethod]
    public void AMultiFrameHeaderOverOneFrameOfDataReadsTheFirstAndRefusesTheSecond()
    {
        // multiframe.dcm says 2 frames and holds the pixels of one.
        var first = GrayscaleImage.Read(Dicom("multiframe.dcm"), 0, new ImageReadOptions { Frame = 1 });
        CollectionAssert.AreEqual(GrayscaleImage.Read(Dicom("explicit-le.dcm")).Pixels, first.Pixels);
        var second = Assert.ThrowsExactly<InvalidDataException>(() =>
            GrayscaleImage.Read(Dicom("multiframe.dcm"), 0, new ImageReadOptions { Frame = 2 })
        );
        StringAssert.Contains(second.Message, "truncated: the pixel data holds 7,680 bytes, frame 2");
        var refused = Assert.ThrowsExactly<InvalidDataException>(() =>
            GrayscaleImage.Read(Dicom("multiframe.dcm"), 0, new ImageReadOptions { Frame = 0 })
        );
        StringAssert.Contains(refused.Message, "a multi-frame DICOM (2 frames), and multi-frame files are refused (frame 0)");
        var past = Assert.ThrowsExactly<InvalidDataException>(() =>
            GrayscaleImage.Read(Dicom("multiframe.dcm"), 0, new ImageReadOptions { Frame = 3 })
        );
        StringAssert.Contains(past.Message, "frame 3 was asked for; the DICOM holds 2 frame(s)");
    }

    [TestMethod]
    public void ATruncatedDicomIsNamedAsTruncated()
    {
        var bytes = File.ReadAllBytes(Dicom("explicit-le-12bit.dcm"));
        foreach (var keep in new[] { 140, 600, bytes.Length - 4000 })
        {
            var cut = Path.Combine(SyntheticFixture.NewTempFolder(), "cut.dcm");
            File.WriteAllBytes(cut, bytes[..keep]);
            var error = Assert.ThrowsExactly<InvalidDataException>(() => GrayscaleImage.Read(cut));
            StringAssert.StartsWith(error.Message, cut + ": ");
            StringAssert.Contains(error.Message, "truncated");
        }
        var lossless = File.ReadAllBytes(Dicom("lossless-sv1-12bit.dcm"));
        var cutLossless = Path.Combine(SyntheticFixture.NewTempFolder(), "cut-lossless.dcm");
        File.WriteAllBytes(cutLossless, lossless[..(lossless.Length - 3000)]);
        var lossy = Assert.ThrowsExactly<InvalidDataException>(() => GrayscaleImage.Read(cutLossless));
        StringAssert.Contains(lossy.Message, "truncated");
    }
}
