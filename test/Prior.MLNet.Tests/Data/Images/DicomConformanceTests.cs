using Prior.MLNet.Data.Images;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// The DICOM conformance suite (TestData/dicom/conformance, made by make.sh there with dcmtk, GDCM, cjpeg and
/// ImageMagick): every transfer syntax and photometric interpretation written by other programs' encoders, each read
/// to within one grey level of what dcmtk's dcmj2pnm renders of it (of GDCM's or dcmtk's own decompression where dcmtk
/// has no decoder), or refused by name. No file may read with other pixels.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class DicomConformanceTests
{
    private static string Folder => Path.Combine(RepositoryPaths.TestData, "dicom", "conformance");

    // File, reference ("-" for a file to be refused), frame, the words of its refusal ("-" for a file to be read).
    public static IEnumerable<object[]> Suite() =>
        File.ReadAllLines(Path.Combine(Folder, "expected.tsv"))
            .Where(line => line.Length > 0)
            .Select(line => line.Split('\t'))
            .Select(f => new object[] { f[0], f[1], int.Parse(f[2]), f[3] });

    [TestMethod]
    [DynamicData(nameof(Suite))]
    public void EveryFileReadsAsDcmtkRendersItOrIsRefusedByName(string file, string reference, int frame, string refusal)
    {
        var path = Path.Combine(Folder, "files", file);
        var options = new ImageReadOptions { Frame = frame };
        if (reference == "-")
        {
            var error = Assert.ThrowsExactly<InvalidDataException>(() => GrayscaleImage.Read(path, 0, options));
            StringAssert.StartsWith(error.Message, path + ": ");
            StringAssert.Contains(error.Message, refusal);
            return;
        }
        var (ours, width, height) = GrayscaleImage.Read(path, 0, options);
        var (theirs, refWidth, refHeight) = Netpbm.ReadGray(Path.Combine(Folder, "reference", reference));
        Assert.AreEqual((refWidth, refHeight), (width, height), file);
        int worst = 0,
            at = 0;
        for (int i = 0; i < ours.Length; i++)
            if (Math.Abs(ours[i] - theirs[i]) > worst)
                (worst, at) = (Math.Abs(ours[i] - theirs[i]), i);
        Assert.IsLessThanOrEqualTo(
            1,
            worst,
            $"{file}: largest difference from dcmj2pnm, in grey levels, at ({at % width}, {at / width}): "
                + $"ours {ours[at]}, theirs {theirs[at]}"
        );
        Assert.IsGreaterThan(1, ours.Max() - ours.Min(), "a real picture, not a flat one");
    }

    [TestMethod]
    public void TheSuiteCoversEveryFileInItsFolder()
    {
        var listed = Suite().Select(row => (string)row[0]).ToHashSet();
        foreach (var file in Directory.GetFiles(Path.Combine(Folder, "files")))
            Assert.Contains(Path.GetFileName(file), listed);
        Assert.IsGreaterThanOrEqualTo(35, listed.Count);
    }
}
