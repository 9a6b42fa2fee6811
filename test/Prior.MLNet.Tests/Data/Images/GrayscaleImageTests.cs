using System.Text.Json;
using Prior.MLNet.Data.Images;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Every image form users have (TestData/images, made by ImageMagick and exiftool: see make.sh there) decodes to the
/// gray values Pillow gives (exif_transpose, then convert('L')), and every broken file is a named error.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class GrayscaleImageTests
{
    private static string Folder => Path.Combine(RepositoryPaths.TestData, "images");

    private static Dictionary<string, JsonElement> Expected() =>
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(Path.Combine(Folder, "expected.json")))!;

    [TestMethod]
    // Gray sources decode exactly; colour JPEGs may differ by the decoders' chroma upsampling, by a grey level or two.
    [DataRow("gray-baseline.jpg", 0)]
    [DataRow("gray-progressive.jpg", 0)]
    [DataRow("gray8.png", 0)]
    [DataRow("gray16.png", 1)]
    [DataRow("png-named.jpg", 0)]
    [DataRow("rgb.png", 0)]
    [DataRow("rgba.png", 0)]
    [DataRow("tiny-1x1.jpg", 0)]
    [DataRow("rgb-baseline.jpg", 2)]
    [DataRow("rgb-progressive.jpg", 2)]
    [DataRow("rgb-exif-rotated.jpg", 2)]
    [DataRow("cmyk.jpg", 3)]
    public void DecodesAsPillowDoes(string file, int tolerance)
    {
        var expected = Expected()[file];
        var (pixels, width, height) = GrayscaleImage.Read(Path.Combine(Folder, file));
        Assert.AreEqual(expected.GetProperty("width").GetInt32(), width, "width (after the EXIF orientation)");
        Assert.AreEqual(expected.GetProperty("height").GetInt32(), height, "height");
        var reference = expected.GetProperty("pixels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int worst = reference.Select((v, i) => Math.Abs(v - pixels[i])).Max();
        Assert.IsLessThanOrEqualTo(tolerance, worst, $"{file}: largest difference from Pillow {worst} grey levels");
    }

    [TestMethod]
    public void AHugeImageDecodesWhole()
    {
        var expected = Expected()["huge-4200x3400.jpg"];
        var (pixels, width, height) = GrayscaleImage.Read(Path.Combine(Folder, "huge-4200x3400.jpg"));
        Assert.AreEqual(4200, width);
        Assert.AreEqual(3400, height);
        Assert.AreEqual(expected.GetProperty("mean").GetDouble(), pixels.Average(p => (double)p), 0.05);
    }

    [TestMethod]
    public void TheExifOrientationIsApplied()
    {
        // The rotated file holds the same pixels as rgb-baseline.jpg, tagged "rotate 90° clockwise to display".
        var (stored, w, h) = GrayscaleImage.Read(Path.Combine(Folder, "rgb-baseline.jpg"));
        var (shown, sw, sh) = GrayscaleImage.Read(Path.Combine(Folder, "rgb-exif-rotated.jpg"));
        Assert.AreEqual((h, w), (sw, sh));
        for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++)
            Assert.AreEqual(stored[(h - 1 - x) * w + y], shown[y * sw + x], $"({x}, {y})");
    }

    [TestMethod]
    [DataRow("truncated.jpg", "truncated: the JPEG data ends without its end marker")]
    [DataRow("truncated-baseline.jpg", "truncated: the JPEG data ends without its end marker")]
    [DataRow("truncated.png", "truncated: the PNG data ends without its end marker")]
    [DataRow("empty.jpg", "empty file (0 bytes), not an image.")]
    [DataRow("text.jpg", "not an image this library reads (JPEG, PNG, WebP, BMP, GIF)")]
    public void BrokenFilesAreNamedErrors(string file, string reason)
    {
        var path = Path.Combine(Folder, file);
        var error = Assert.ThrowsExactly<InvalidDataException>(() => GrayscaleImage.Read(path));
        StringAssert.StartsWith(error.Message, $"{path}: {reason}");
    }

    [TestMethod]
    public void AMissingFileIsNamed()
    {
        var path = Path.Combine(Folder, "absent.jpg");
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => GrayscaleImage.Read(path));
        Assert.AreEqual($"{path}: the image file does not exist.", error.Message);
    }
}
