using System.Text;
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

    // dcmj2pnm's binary PGM: "P5", width, height, maximum, then the bytes.
    private static (byte[] Pixels, int Width, int Height) Pgm(string name)
    {
        var bytes = File.ReadAllBytes(Dicom(Path.Combine("reference", name)));
        var fields = new List<string>();
        int at = 0;
        while (fields.Count < 4)
        {
            while (char.IsWhiteSpace((char)bytes[at]))
                at++;
            int start = at;
            while (!char.IsWhiteSpace((char)bytes[at]))
                at++;
            fields.Add(Encoding.ASCII.GetString(bytes, start, at - start));
        }
        Assert.AreEqual("P5", fields[0]);
        int width = int.Parse(fields[1]),
            height = int.Parse(fields[2]);
        return (bytes[(at + 1)..], width, height);
    }

    [TestMethod]
    [DataRow("jpeg-baseline.dcm", "jpeg-baseline.pgm")]
    [DataRow("explicit-le.dcm", "explicit-le.pgm")]
    [DataRow("implicit-le.dcm", "explicit-le.pgm")]
    [DataRow("no-meta.dcm", "explicit-le.pgm")]
    [DataRow("explicit-le-12bit.dcm", "explicit-le-12bit.pgm")]
    [DataRow("lossless-sv1-12bit.dcm", "lossless-sv1-12bit.pgm")]
    [DataRow("lossless-sv6-12bit-monochrome1.dcm", "lossless-sv6-12bit-monochrome1.pgm")]
    [DataRow("lossless-sv1-12bit-nowindow.dcm", "lossless-sv1-12bit-nowindow.pgm")]
    public void EachFormReadsAsDcmtkRendersIt(string file, string reference)
    {
        var (ours, width, height) = GrayscaleImage.Read(Dicom(file));
        var (theirs, refWidth, refHeight) = Pgm(reference);
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
    [DataRow("rle.dcm", "1.2.840.10008.1.2.5 (RLE Lossless) is not read")]
    [DataRow("big-endian.dcm", "1.2.840.10008.1.2.2 (Explicit VR Big Endian) is not read")]
    [DataRow("multiframe.dcm", "a multi-frame DICOM (2 frames)")]
    public void FormsNotReadAreRefusedByName(string file, string expected)
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => GrayscaleImage.Read(Dicom(file)));
        StringAssert.StartsWith(error.Message, Dicom(file) + ": ");
        StringAssert.Contains(error.Message, expected);
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
