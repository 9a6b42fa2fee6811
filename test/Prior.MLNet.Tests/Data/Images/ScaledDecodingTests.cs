using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Synthetic;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Area resizing against hand-computed and brute-force references, and decoding a large JPEG at a reduced DCT scale
/// against decoding it whole: what the network sees must not change beyond a grey level.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ScaledDecodingTests
{
    [TestMethod]
    public void AreaResizingAveragesWholeAndPartlyCoveredPixels()
    {
        // 4 × 2 → 2 × 1: each output pixel is the mean of a 2 × 2 block.
        CollectionAssert.AreEqual(new byte[] { 25, 65 }, AreaResize.Downscale([10, 20, 60, 70, 30, 40, 60, 70], 4, 2, 2, 1));
        // 3 → 2: footprints [0, 1.5) and [1.5, 3): (0 + 30 / 2) / 1.5 = 10 and (30 / 2 + 60) / 1.5 = 50.
        CollectionAssert.AreEqual(new byte[] { 10, 50 }, AreaResize.Downscale([0, 30, 60], 3, 1, 2, 1));
        Assert.ThrowsExactly<ArgumentException>(() => AreaResize.Downscale(new byte[6], 3, 2, 4, 2));
    }

    [TestMethod]
    public void AreaResizingMatchesATwoDimensionalCoverageIntegralInFloat64()
    {
        var random = new DeterministicRandom(3);
        int w = 37,
            h = 23,
            ow = 10,
            oh = 7;
        var source = Enumerable.Range(0, w * h).Select(_ => (byte)random.Next(256)).ToArray();
        var resized = AreaResize.Downscale(source, w, h, ow, oh);
        double sx = (double)w / ow,
            sy = (double)h / oh;
        for (int oy = 0; oy < oh; oy++)
        {
            for (int ox = 0; ox < ow; ox++)
            {
                // Every source pixel's overlap with the output pixel's rectangle, in source pixel units.
                double sum = 0,
                    area = 0;
                for (int y = 0; y < h; y++)
                {
                    double cy = Math.Max(0, Math.Min(y + 1, (oy + 1) * sy) - Math.Max(y, oy * sy));
                    for (int x = 0; x < w && cy > 0; x++)
                    {
                        double cx = Math.Max(0, Math.Min(x + 1, (ox + 1) * sx) - Math.Max(x, ox * sx));
                        sum += cx * cy * source[y * w + x];
                        area += cx * cy;
                    }
                }
                Assert.AreEqual(Math.Round(sum / area), resized[oy * ow + ox], 1.0, $"({ox}, {oy})");
                Assert.AreEqual(sx * sy, area, 1e-9);
            }
        }
    }

    [TestMethod]
    public void ARadiographSizedJpegDecodesAtAQuarterAndMatchesTheFullDecodeAfterResizing()
    {
        // A synthetic PA radiograph at MIMIC-CXR-JPG's typical size, noise included, as a quality-90 JPEG.
        const int width = 2544,
            height = 3056,
            size = 224;
        var random = new DeterministicRandom(11);
        var pixels = ChestRadiographRenderer.Render(SyntheticCase.Sample(random), SyntheticView.PA, width, height, random);
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "radiograph.jpg");
        File.WriteAllBytes(path, GrayscaleJpeg.Encode(pixels, width, height, quality: 90));

        var (full, fw, fh) = GrayscaleImage.Read(path);
        // The pipeline asks for twice the network's side (ImagePreprocessor.DecodeOversampling): 2/8 is the smallest scale.
        var (scaled, sw, sh) = GrayscaleImage.Read(path, ImagePreprocessor.DecodeOversampling * size);
        Assert.AreEqual((width, height), (fw, fh));
        Assert.AreEqual((636, 764), (sw, sh));

        var reference = AreaResize.Downscale(full, fw, fh, size, size);
        var fast = AreaResize.Downscale(scaled, sw, sh, size, size);
        var differences = reference.Zip(fast, (a, b) => Math.Abs(a - b)).ToArray();
        double mean = differences.Average();
        double withinOne = differences.Count(d => d <= 1) / (double)differences.Length;
        Console.WriteLine(
            $"scaled vs full decode after area resizing: mean |Δ| {mean:0.000}, within 1 grey level {withinOne:P3}, largest "
                + $"{differences.Max()}"
        );
        // Measured: mean 0.16, 99.4 % within one level, largest 4 (at the drawn hard edges). At 1/8 (318 × 382) the same
        // comparison gives mean 0.34, 97.1 %, largest 14: too few 8 × 8 blocks per output pixel at sharp edges.
        Assert.IsLessThan(0.25, mean);
        Assert.IsGreaterThanOrEqualTo(0.99, withinOne);
        Assert.IsLessThanOrEqualTo(6, differences.Max());

        // The preprocessing pipeline takes the scaled path and gives the same tensor as from the full decode.
        var preprocessor = new ImagePreprocessor(size);
        var viaFile = preprocessor.Load(path, null);
        var viaFull = preprocessor.FromGray(full, fw, fh, null);
        double worst = viaFile.Zip(viaFull, (a, b) => Math.Abs(a - b)).Max() * preprocessor.Std * 255;
        Assert.AreEqual(differences.Max(), worst, 1e-3, "the pipeline decodes at 2/8 and area-resizes as above");
        Assert.IsLessThan(0.5, viaFile.Zip(viaFull, (a, b) => Math.Abs(a - b)).Average() * preprocessor.Std * 255);
    }

    [TestMethod]
    public void OnlyJpegsAreScaledAndNeverBelowTheRequestedSide()
    {
        var folder = Path.Combine(RepositoryPaths.TestData, "images");
        // 4200 × 3400: 1/8 gives 525 × 425, enough for 300 but not for 500, where 2/8 (1050 × 850) is the smallest.
        Assert.AreEqual((525, 425), Dimensions(GrayscaleImage.Read(Path.Combine(folder, "huge-4200x3400.jpg"), 300)));
        Assert.AreEqual((1050, 850), Dimensions(GrayscaleImage.Read(Path.Combine(folder, "huge-4200x3400.jpg"), 500)));
        // A PNG has no DCT scales: it decodes whole. A JPEG already small decodes whole.
        Assert.AreEqual((48, 32), Dimensions(GrayscaleImage.Read(Path.Combine(folder, "gray8.png"), 8)));
        Assert.AreEqual((48, 32), Dimensions(GrayscaleImage.Read(Path.Combine(folder, "gray-baseline.jpg"), 40)));
        // The EXIF orientation still applies to a scaled decode: 48 × 32 stored, 32 × 48 shown, halved by 4/8.
        Assert.AreEqual((16, 24), Dimensions(GrayscaleImage.Read(Path.Combine(folder, "rgb-exif-rotated.jpg"), 16)));
    }

    private static (int, int) Dimensions((byte[] Pixels, int Width, int Height) image)
    {
        Assert.HasCount(image.Width * image.Height, image.Pixels);
        return (image.Width, image.Height);
    }
}
