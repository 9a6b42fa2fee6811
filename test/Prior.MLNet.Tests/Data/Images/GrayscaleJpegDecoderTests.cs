using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Data.Images.Jpeg;
using Prior.MLNet.Synthetic;
using SkiaSharp;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Our own JPEG decoder against libjpeg-turbo itself (through SkiaSharp's codec, asked for the same DCT scale, 1/8, 2/8
/// or whole): bit for bit on every grayscale baseline form in TestData/images/jpeg (made by cjpeg: see make.sh there),
/// declined for every form it leaves to SkiaSharp and for damaged scans, the EXIF orientation read as SkiaSharp reads
/// it; and each inverse DCT's paths against each other and against float64 (the quarter means, the whole block).
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class GrayscaleJpegDecoderTests
{
    private static string Folder => Path.Combine(RepositoryPaths.TestData, "images", "jpeg");

    [TestMethod]
    [DataRow("standard-tables.jpg")]
    [DataRow("optimized-tables.jpg")]
    [DataRow("quality-100.jpg")]
    [DataRow("quality-10.jpg")]
    [DataRow("quality-2-16bit-tables.jpg")]
    [DataRow("restart-every-row.jpg")]
    [DataRow("restart-every-7-blocks.jpg")]
    [DataRow("tiny-1x1.jpg")]
    [DataRow("block-8x8.jpg")]
    [DataRow("odd-9x17.jpg")]
    [DataRow("exif-orientation-6.jpg")]
    [DataRow("exif-second-block-orientation-3.jpg")]
    public void EveryGrayBaselineFormDecodesAsLibjpegTurboDoesBitForBit(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        foreach (int eighths in new[] { 1, 2, 8 })
        {
            Assert.IsTrue(GrayscaleJpegDecoder.TryDecodeAt(bytes, eighths, out var image), $"{file} at {eighths}/8 was declined");
            var (expected, width, height) = SkiaAt(bytes, eighths);
            Assert.AreEqual((width, height), (image.Width, image.Height), $"{file} at {eighths}/8");
            CollectionAssert.AreEqual(expected, image.Pixels, $"{file} at {eighths}/8");
        }
    }

    [TestMethod]
    public void ARadiographSizedJpegDecodesAsLibjpegTurboDoes()
    {
        // The benchmark's kind of file: 2544 × 3056, film grain, quality 90, SkiaSharp's encoder (optimised tables).
        const int width = 2544,
            height = 3056;
        var random = new DeterministicRandom(5);
        var pixels = ChestRadiographRenderer.Render(SyntheticCase.Sample(random), SyntheticView.PA, width, height, random);
        for (int p = 0; p < pixels.Length; p++)
            pixels[p] = (byte)Math.Clamp(pixels[p] + (int)Math.Round(random.NextGaussian() * 2.5), 0, 255);
        var bytes = GrayscaleJpeg.Encode(pixels, width, height, quality: 90);
        foreach (int eighths in new[] { 1, 2, 8 })
        {
            Assert.IsTrue(GrayscaleJpegDecoder.TryDecodeAt(bytes, eighths, out var image));
            var (expected, w, h) = SkiaAt(bytes, eighths);
            Assert.AreEqual((w, h), (image.Width, image.Height));
            CollectionAssert.AreEqual(expected, image.Pixels, $"{eighths}/8");
        }
    }

    [TestMethod]
    [DataRow("jpeg/progressive.jpg")]
    [DataRow("jpeg/arithmetic.jpg")]
    [DataRow("jpeg/colour.jpg")]
    [DataRow("jpeg/exif-orientation-9-invalid.jpg")]
    [DataRow("rgb-baseline.jpg")]
    [DataRow("cmyk.jpg")]
    [DataRow("gray-progressive.jpg")]
    [DataRow("gray8.png")]
    [DataRow("text.jpg")]
    [DataRow("empty.jpg")]
    public void FormsItDoesNotTakeAreLeftToSkiaSharp(string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryPaths.TestData, "images", file));
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecodeAt(bytes, 1, out _));
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecode(bytes, 1, GrayscaleImage.MaxPixels, out _));
    }

    [TestMethod]
    public void DamagedScansAreDeclined()
    {
        var original = File.ReadAllBytes(Path.Combine(Folder, "standard-tables.jpg"));
        int scan = ScanStart(original);
        Assert.IsTrue(GrayscaleJpegDecoder.TryDecodeAt(original, 1, out _), "the undamaged file decodes");

        // Cut in the middle of the scan, the end marker put back: the data runs out before the last block.
        var cut = original.AsSpan(0, scan + (original.Length - scan) / 2).ToArray().Concat(new byte[] { 0xFF, 0xD9 }).ToArray();
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecodeAt(cut, 1, out _), "a scan that ends early");

        // All ones: a code no Huffman table holds (T.81 reserves the all-ones codes).
        var ones = (byte[])original.Clone();
        for (int i = scan; i < scan + 64; i += 2)
            (ones[i], ones[i + 1]) = (0xFF, 0x00);
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecodeAt(ones, 1, out _), "an invalid code");

        // A restart marker missing, and one out of turn.
        var restart = File.ReadAllBytes(Path.Combine(Folder, "restart-every-row.jpg"));
        Assert.IsTrue(GrayscaleJpegDecoder.TryDecodeAt(restart, 2, out _));
        int marker = IndexOfMarker(restart, 0xD0);
        var missing = restart.Take(marker).Concat(restart.Skip(marker + 2)).ToArray();
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecodeAt(missing, 2, out _), "RST0 missing");
        var outOfTurn = (byte[])restart.Clone();
        outOfTurn[marker + 1] = 0xD3;
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecodeAt(outOfTurn, 2, out _), "RST3 where RST0 belongs");

        // A Huffman table with more codes of a length than the length holds.
        var table = (byte[])original.Clone();
        int dht = IndexOfMarker(table, 0xC4);
        table[dht + 5] = 3; // three 1-bit codes
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecodeAt(table, 1, out _), "an impossible code-length count");
    }

    [TestMethod]
    public void DamagedFilesOfEveryKindNeverBreakIt()
    {
        // Bytes changed at random, in the headers and in the scan, and files cut anywhere: the decoder must decline or
        // decode - never throw, never read outside its buffers (its hot loop reads without bounds checks, so an escape
        // would show as a crash or as wrong pixels) - and whatever it decodes, libjpeg-turbo decodes without complaint
        // and to the same pixels: a damaged file is never read differently from before, only sooner.
        // (Run once with 60,000: 14,077 decoded, every one as libjpeg-turbo decodes it; 45,923 declined.)
        const int Trials = 3000;
        var random = new DeterministicRandom(23);
        string[] sources =
        [
            "standard-tables.jpg",
            "optimized-tables.jpg",
            "restart-every-7-blocks.jpg",
            "quality-2-16bit-tables.jpg",
            "odd-9x17.jpg",
        ];
        int accepted = 0,
            declined = 0,
            agreeing = 0;
        for (int trial = 0; trial < Trials; trial++)
        {
            var bytes = File.ReadAllBytes(Path.Combine(Folder, sources[trial % sources.Length]));
            int scan = ScanStart(bytes);
            if (trial % 3 == 2)
            {
                bytes = bytes.AsSpan(0, 2 + random.Next(bytes.Length - 2)).ToArray();
            }
            else
            {
                int changes = 1 + random.Next(4);
                for (int c = 0; c < changes; c++)
                {
                    // Half of the changes in the headers, where they reach tables, sizes and markers.
                    int at = trial % 2 == 0 ? 2 + random.Next(scan - 2) : scan + random.Next(bytes.Length - scan);
                    bytes[at] = (byte)random.Next(256);
                }
            }
            int eighths = (trial / 3 % 3) switch
            {
                0 => 1,
                1 => 2,
                _ => 8,
            };
            if (!GrayscaleJpegDecoder.TryDecodeAt(bytes, eighths, out var image))
            {
                declined++;
                continue;
            }
            accepted++;
            Assert.HasCount(image.Width * image.Height, image.Pixels);
            if (TrySkiaAt(bytes, eighths) is { } expected && expected.Pixels.AsSpan().SequenceEqual(image.Pixels))
                agreeing++;
        }
        Console.WriteLine(
            $"{Trials} damaged files: {accepted} decoded ({agreeing} exactly as libjpeg-turbo decodes them), {declined} declined"
        );
        Assert.IsGreaterThan(0, accepted);
        Assert.IsGreaterThan(0, declined);
        Assert.AreEqual(accepted, agreeing, "decoded damaged files that libjpeg-turbo refuses or reads otherwise");
    }

    [TestMethod]
    [DataRow("exif-orientation-6.jpg", 20, 20, 26)]
    [DataRow("exif-orientation-8-big-endian.jpg", 20, 20, 26)]
    [DataRow("exif-second-block-orientation-3.jpg", 20, 26, 20)]
    [DataRow("exif-orientation-9-invalid.jpg", 20, 26, 20)]
    [DataRow("restart-every-7-blocks.jpg", 40, 51, 40)]
    [DataRow("exif-orientation-6.jpg", 0, 157, 203)]
    [DataRow("exif-orientation-8-big-endian.jpg", 0, 157, 203)]
    [DataRow("exif-second-block-orientation-3.jpg", 0, 203, 157)]
    [DataRow("odd-9x17.jpg", 0, 9, 17)]
    [DataRow("quality-2-16bit-tables.jpg", 0, 203, 157)]
    public void ReadingThroughItGivesWhatSkiaSharpsCodecGives(string file, int minimumSide, int width, int height)
    {
        // 203 × 157 stored: a minimum side of 20 asks for 1/8 (26 × 20), of 40 for 2/8 (51 × 40), 0 for the whole
        // image; turned upright after.
        var path = Path.Combine(Folder, file);
        var viaDecoder = GrayscaleImage.Read(path, minimumSide);
        var viaSkia = GrayscaleImage.Read(path, minimumSide, ownJpegDecoder: false);
        Assert.AreEqual((width, height), (viaDecoder.Width, viaDecoder.Height));
        Assert.AreEqual((viaSkia.Width, viaSkia.Height), (viaDecoder.Width, viaDecoder.Height));
        CollectionAssert.AreEqual(viaSkia.Pixels, viaDecoder.Pixels);
    }

    [TestMethod]
    public void ScalesFromThreeToSevenEighthsAreLeftToSkiaSharp()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, "standard-tables.jpg"));
        // 203 × 157: side 20 → 1/8, 40 → 2/8, 50 → 3/8 (77 × 59, SkiaSharp's), 157 and 0 → whole.
        Assert.IsTrue(GrayscaleJpegDecoder.TryDecode(bytes, 20, GrayscaleImage.MaxPixels, out var eighth));
        Assert.AreEqual((26, 20), (eighth.Width, eighth.Height));
        Assert.IsTrue(GrayscaleJpegDecoder.TryDecode(bytes, 40, GrayscaleImage.MaxPixels, out var quarter));
        Assert.AreEqual((51, 40), (quarter.Width, quarter.Height));
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecode(bytes, 50, GrayscaleImage.MaxPixels, out _));
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecode(bytes, 130, GrayscaleImage.MaxPixels, out _)); // 7/8: 178 × 138
        Assert.IsTrue(GrayscaleJpegDecoder.TryDecode(bytes, 157, GrayscaleImage.MaxPixels, out var whole));
        Assert.AreEqual((203, 157), (whole.Width, whole.Height));
        Assert.IsTrue(GrayscaleJpegDecoder.TryDecode(bytes, 0, GrayscaleImage.MaxPixels, out whole));
        Assert.AreEqual((203, 157), (whole.Width, whole.Height));
        // Over the pixel limit: SkiaSharp's path names the file and the limit.
        Assert.IsFalse(GrayscaleJpegDecoder.TryDecode(bytes, 20, 203 * 157 - 1, out _));
    }

    [TestMethod]
    public void TheQuarterMeansMatchFloat64AndBothPathsAgree()
    {
        var random = new DeterministicRandom(17);
        int[] frequencies = [0, 1, 3, 5, 7];
        for (int trial = 0; trial < 2000; trial++)
        {
            var quant = Enumerable.Range(0, 64).Select(_ => 1 + random.Next(trial % 2 == 0 ? 40 : 255)).ToArray();
            var block = new int[ReducedInverseDct.BlockSize];
            var dequantised = new double[8, 8];
            for (int r = 0; r < 5; r++)
            {
                for (int c = 0; c < 5; c++)
                {
                    int position = frequencies[r] * 8 + frequencies[c];
                    // Sizes as real blocks have them (the block's mean within 0-255, the others a fraction of it, mostly
                    // zero): libjpeg wraps results far outside the range around instead of clipping them.
                    int limit = (position == 0 ? 900 : 120) / quant[position];
                    int value = position == 0 || random.Next(3) == 0 ? random.Next(-limit, limit + 1) : 0;
                    block[r * 8 + c] = value;
                    dequantised[frequencies[r], frequencies[c]] = value * quant[position];
                }
            }
            var idct = new ReducedInverseDct(quant);
            var scalar = idct.QuartersScalar(ref block[0]);
            if (Avx.IsSupported)
                Assert.AreEqual(scalar, idct.QuartersVector(ref block[0]), $"trial {trial}");
            var exact = QuarterMeans(dequantised);
            var got = new[] { scalar.Item1, scalar.Item2, scalar.Item3, scalar.Item4 };
            for (int q = 0; q < 4; q++)
                Assert.AreEqual(Math.Clamp(exact[q], 0, 255), got[q], 1.0, $"trial {trial}, quarter {q}");
        }
    }

    [TestMethod]
    public void TheFullTransformMatchesFloat64AndItsPathsAgree()
    {
        var random = new DeterministicRandom(29);
        int vectorTaken = 0,
            vectorDeclined = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            var quant = Enumerable.Range(0, 64).Select(_ => 1 + random.Next(trial % 2 == 0 ? 40 : 255)).ToArray();
            var block = new int[FullInverseDct.BlockSize];
            var dequantised = new double[8, 8];
            // Most trials as real blocks are (the mean within 0-255, the others a fraction of it, mostly zero); every
            // tenth with coefficients far beyond any image's, where libjpeg's 64-bit sums and its wrap-around decide.
            bool extreme = trial % 10 == 9;
            for (int position = 0; position < 64; position++)
            {
                int limit = extreme ? 2047 : (position == 0 ? 1000 : 150) / quant[position];
                int value = position == 0 || random.Next(3) == 0 ? random.Next(-limit, limit + 1) : 0;
                block[position] = value;
                dequantised[position / 8, position % 8] = value * quant[position];
            }
            var idct = new FullInverseDct(quant);
            var scalar = new byte[64];
            idct.TransformScalar(ref block[0], ref scalar[0], 0, 8);
            var chosen = new byte[64];
            idct.Transform(ref block[0], dcOnly: false, ref chosen[0], 0, 8);
            CollectionAssert.AreEqual(scalar, chosen, $"trial {trial}");
            if (Avx2.IsSupported)
            {
                var vector = new byte[64];
                if (idct.TransformVector(ref block[0], ref vector[0], 0, 8))
                {
                    vectorTaken++;
                    CollectionAssert.AreEqual(scalar, vector, $"trial {trial}");
                }
                else
                {
                    vectorDeclined++;
                    Assert.IsTrue(extreme, $"trial {trial}: a block of ordinary size left the 32-bit path");
                }
            }
            if (!extreme)
            {
                var exact = InverseDct(dequantised);
                for (int p = 0; p < 64; p++)
                    Assert.AreEqual(Math.Clamp(exact[p], 0, 255), scalar[p], 1.0, $"trial {trial}, pixel {p}");
            }
        }
        // A flat block through the shortcut and through the full passes.
        foreach (int dc in new[] { -2047, -200, -1, 0, 1, 37, 127, 128, 1023, 2047 })
        {
            var quant = Enumerable.Range(0, 64).Select(i => 1 + i % 50).ToArray();
            var block = new int[FullInverseDct.BlockSize];
            block[0] = dc;
            var idct = new FullInverseDct(quant);
            byte[] flat = new byte[64],
                full = new byte[64];
            idct.Transform(ref block[0], dcOnly: true, ref flat[0], 0, 8);
            idct.TransformScalar(ref block[0], ref full[0], 0, 8);
            CollectionAssert.AreEqual(full, flat, $"DC {dc}");
        }
        if (Avx2.IsSupported)
        {
            Assert.IsGreaterThan(2000, vectorTaken);
            Assert.IsGreaterThan(0, vectorDeclined);
        }
    }

    // T.81 A.3.3's inverse DCT of a block, level-shifted by 128, in float64.
    private static double[] InverseDct(double[,] coefficients)
    {
        var pixels = new double[64];
        for (int y = 0; y < 8; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                double sum = 0;
                for (int v = 0; v < 8; v++)
                for (int u = 0; u < 8; u++)
                    sum +=
                        (u == 0 ? Math.Sqrt(0.5) : 1)
                        * (v == 0 ? Math.Sqrt(0.5) : 1)
                        * coefficients[v, u]
                        * Math.Cos((2 * x + 1) * u * Math.PI / 16)
                        * Math.Cos((2 * y + 1) * v * Math.PI / 16);
                pixels[y * 8 + x] = sum / 4 + 128;
            }
        }
        return pixels;
    }

    // The mean of each 4 × 4 quarter of the block's inverse DCT, in float64.
    private static double[] QuarterMeans(double[,] coefficients)
    {
        var pixels = InverseDct(coefficients);
        var means = new double[4];
        for (int p = 0; p < 64; p++)
            means[(p / 8 / 4) * 2 + p % 8 / 4] += pixels[p] / 16;
        return means;
    }

    // libjpeg-turbo's own scaled decode, through SkiaSharp's codec: raw pixels as stored (no orientation applied).
    private static (byte[] Pixels, int Width, int Height) SkiaAt(byte[] bytes, int eighths)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(bytes))!;
        var size = codec.GetScaledDimensions(eighths / 8f);
        var pixels = new byte[size.Width * size.Height];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(
                new SKImageInfo(size.Width, size.Height, SKColorType.Gray8, SKAlphaType.Opaque),
                handle.AddrOfPinnedObject()
            );
            Assert.AreEqual(SKCodecResult.Success, result);
        }
        finally
        {
            handle.Free();
        }
        return (pixels, size.Width, size.Height);
    }

    // SkiaSharp's decode where it succeeds in full; null where it reports any problem.
    private static (byte[] Pixels, int Width, int Height)? TrySkiaAt(byte[] bytes, int eighths)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(bytes));
        if (codec is null)
            return null;
        var size = codec.GetScaledDimensions(eighths / 8f);
        var pixels = new byte[size.Width * size.Height];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(
                new SKImageInfo(size.Width, size.Height, SKColorType.Gray8, SKAlphaType.Opaque),
                handle.AddrOfPinnedObject()
            );
            return result == SKCodecResult.Success ? (pixels, size.Width, size.Height) : null;
        }
        finally
        {
            handle.Free();
        }
    }

    private static int ScanStart(byte[] jpeg)
    {
        int sos = IndexOfMarker(jpeg, 0xDA);
        return sos + 2 + (jpeg[sos + 2] << 8 | jpeg[sos + 3]);
    }

    private static int IndexOfMarker(byte[] jpeg, byte marker)
    {
        for (int i = 0; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker)
                return i;
        throw new AssertFailedException($"marker FF{marker:X2} not found");
    }
}
