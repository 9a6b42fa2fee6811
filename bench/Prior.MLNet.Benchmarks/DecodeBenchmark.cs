using System.Diagnostics;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.IO;
using Prior.MLNet.Synthetic;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The decode part of <c>prior bench</c>: MIMIC-CXR-JPG-sized radiographs (2544 × 3056 gray JPEGs with film grain, so
/// their size is a real one's, about 1.8 MB) turned into the network's 224 × 224 input, one core, several ways on the
/// same files: our pipeline (our own decoder at 2/8, area resize, normalise), the same through SkiaSharp's
/// libjpeg-turbo, the original's way (full decode, then resize), libvips' shrink-on-load (NetVips), the decoders alone
/// at 1/8, and libjpeg-turbo's own <c>djpeg -scale 1/8 -grayscale</c> run once per file when it is installed; then
/// small JPEGs read whole (CheXpert's downsampled size, the synthetic data's), our decoder against SkiaSharp's.
/// </summary>
internal static class DecodeBenchmark
{
    public static void Run(int images, string folder, Dictionary<string, object> figures)
    {
        const int width = 2544,
            height = 3056,
            size = 224;
        var paths = Radiographs(folder, "radiograph", images, width, height, seed: 1000);
        long bytes = paths.Sum(p => new FileInfo(p).Length);
        Console.WriteLine(
            $"Decoding {images} gray JPEGs of {width} × {height} ({bytes / images / 1e6:0.00} MB each) to {size} × {size}, one core:"
        );
        var preprocessor = new ImagePreprocessor(size);

        double ours = ImagesPerSecond(paths, p => preprocessor.Load(p, null));
        double viaSkia = ImagesPerSecond(paths, p =>
        {
            var (pixels, w, h) = GrayscaleImage.Read(p, ImagePreprocessor.DecodeOversampling * size, ownJpegDecoder: false);
            return preprocessor.FromGray(pixels, w, h, null);
        });
        // The original's way with the codec it used (PIL: libjpeg-turbo), not our own decoder, which decodes whole too.
        double full = ImagesPerSecond(paths, p =>
        {
            var (pixels, w, h) = GrayscaleImage.Read(p, 0, ownJpegDecoder: false);
            return preprocessor.FromGray(pixels, w, h, null);
        });
        double eighth = ImagesPerSecond(paths, p => GrayscaleImage.Read(p, size).Pixels);
        double eighthSkia = ImagesPerSecond(paths, p => GrayscaleImage.Read(p, size, ownJpegDecoder: false).Pixels);
        Console.WriteLine($"  {"ours: own decoder at 2/8 + area resize + normalise", -62} {ours, 7:0.0} images/s");
        Console.WriteLine(
            $"  {"the same through SkiaSharp's libjpeg-turbo at 2/8", -62} {viaSkia, 7:0.0} images/s   ours/SkiaSharp "
                + $"{ours / viaSkia:0.00}×"
        );
        Console.WriteLine(
            $"  {"the original's way: libjpeg-turbo whole, area resize, normalise", -62} {full, 7:0.0} images/s   ours/full "
                + $"{ours / full:0.00}×"
        );
        Console.WriteLine($"  {"decode alone at 1/8 (what djpeg below does): ours", -62} {eighth, 7:0.0} images/s");
        Console.WriteLine(
            $"  {"decode alone at 1/8: SkiaSharp's libjpeg-turbo", -62} {eighthSkia, 7:0.0} images/s   ours/libjpeg-turbo "
                + $"{eighth / eighthSkia:0.00}×"
        );
        figures["reducedDecoderVsLibjpegTurbo"] = eighth / eighthSkia;
        figures["decodeVsSkiaSharpPipeline"] = ours / viaSkia;
        if (NetVipsImagesPerSecond(paths, preprocessor) is var (vips, vips8))
        {
            Console.WriteLine(
                $"  {"NetVips shrink-on-load 1/4 + area resize + normalise", -62} {vips, 7:0.0} images/s   ours/NetVips {ours / vips:0.00}×"
            );
            Console.WriteLine($"  {"NetVips shrink-on-load 1/8 alone", -62} {vips8, 7:0.0} images/s");
            figures["decodeVsNetVips"] = ours / vips;
        }
        // The preprocessed cache (prior cache): the same images read from a memory-mapped 256-pixel copy.
        var cachePath = Path.Combine(folder, ImageCache.FileName(256));
        bool current = false;
        if (File.Exists(cachePath))
            using (var existing = new ImageCache(cachePath))
                current = existing.Count == paths.Count;
        if (!current)
            ImageCache.Build(paths, 256, cachePath);
        using (var cache = new ImageCache(cachePath))
        {
            var cached = new ImagePreprocessor(size) { Cache = cache };
            double fromCache = ImagesPerSecond(paths, p => cached.Load(p, null));
            Console.WriteLine(
                $"  {"from the prior cache file (256 px, memory-mapped) + area resize + normalise", -62} {fromCache, 7:0.0} images/s   "
                    + $"cache/ours {fromCache / ours:0.0}×"
            );
            figures["cacheVsJpeg"] = fromCache / ours;
        }
        figures["decodeImagesPerSecond"] = ours;
        figures["decodeVsFullDecode"] = ours / full;
        if (Djpeg() is { } djpeg)
        {
            double external = ImagesPerSecond<int>(paths, p =>
            {
                using var process = Process.Start(
                    new ProcessStartInfo(djpeg, ["-scale", "1/8", "-grayscale", "-outfile", "/dev/null", p])
                    {
                        RedirectStandardError = true,
                    }
                )!;
                process.WaitForExit();
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"djpeg failed on {p}: {process.StandardError.ReadToEnd()}");
                return 0;
            });
            Console.WriteLine(
                $"  {"djpeg -scale 1/8 -grayscale, one process per file", -62} {external, 7:0.0} images/s   ours/djpeg "
                    + $"{ours / external:0.00}×"
            );
            figures["decodeVsDjpeg"] = ours / external;
        }
        else
        {
            Console.WriteLine("  djpeg is not installed (Debian: apt-get install libjpeg-turbo-progs): no decodeVsDjpeg.");
        }
        SmallImages(folder, figures);
    }

    // Small JPEGs, which the pipeline reads whole: CheXpert's downsampled set (about 320 × 390: a 224 network wants 448)
    // and the synthetic data's 128 px images. Our own decoder against SkiaSharp's libjpeg-turbo, on the same files.
    private static void SmallImages(string folder, Dictionary<string, object> figures)
    {
        const int count = 200;
        Console.WriteLine($"Decoding small gray JPEGs whole, {count} files each, one core:");
        foreach (var (width, height, key) in new[] { (320, 390, "smallDecodeVsSkiaSharp"), (128, 128, "tinyDecodeVsSkiaSharp") })
        {
            var paths = Radiographs(Path.Combine(folder, "small"), $"small-{width}x{height}", count, width, height, seed: 5000);
            double ours = ImagesPerSecond(paths, p => GrayscaleImage.Read(p).Pixels);
            double skia = ImagesPerSecond(paths, p => GrayscaleImage.Read(p, 0, ownJpegDecoder: false).Pixels);
            Console.WriteLine($"  {$"{width} × {height}: our own decoder", -62} {ours, 7:0} images/s");
            Console.WriteLine(
                $"  {$"{width} × {height}: SkiaSharp's libjpeg-turbo", -62} {skia, 7:0} images/s   ours/SkiaSharp {ours / skia:0.00}×"
            );
            figures[key] = ours / skia;
        }
    }

    // `count` synthetic PA radiographs of `width` × `height`, written once into `folder` as `name`-NNN.jpg (quality 90,
    // SkiaSharp's encoder), with film grain: real radiographs compress to ~1.4 MB at MIMIC's size; the rendered ones,
    // smoother, would not.
    private static List<string> Radiographs(string folder, string name, int count, int width, int height, ulong seed)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var path = Path.Combine(folder, $"{name}-{i:D3}.jpg");
            if (!File.Exists(path))
            {
                var random = new DeterministicRandom(seed + (ulong)i);
                var pixels = ChestRadiographRenderer.Render(SyntheticCase.Sample(random), SyntheticView.PA, width, height, random);
                for (int p = 0; p < pixels.Length; p++)
                    pixels[p] = (byte)Math.Clamp(pixels[p] + (int)Math.Round(random.NextGaussian() * 2.5), 0, 255);
                AtomicFile.WriteAllBytes(path, GrayscaleJpeg.Encode(pixels, width, height, quality: 90));
            }
            paths.Add(path);
        }
        return paths;
    }

    // libvips' shrink-on-load, the other way the issue names to reach libjpeg-turbo's DCT scaling; null where its
    // native library is not there (it ships for linux-x64 with this tool).
    private static (double Quarter, double Eighth)? NetVipsImagesPerSecond(IReadOnlyList<string> paths, ImagePreprocessor preprocessor)
    {
        try
        {
            NetVips.Cache.Max = 0;
            NetVips.NetVips.Concurrency = 1;
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException)
        {
            Console.WriteLine($"  NetVips' native library is not available here ({ex.GetBaseException().Message}): no NetVips figures.");
            return null;
        }
        double quarter = ImagesPerSecond(paths, p =>
        {
            using var image = NetVips.Image.Jpegload(p, shrink: 4, access: NetVips.Enums.Access.Sequential);
            return preprocessor.FromGray(image.WriteToMemory<byte>(), image.Width, image.Height, null);
        });
        double eighth = ImagesPerSecond(paths, p =>
        {
            using var image = NetVips.Image.Jpegload(p, shrink: 8, access: NetVips.Enums.Access.Sequential);
            return image.WriteToMemory<byte>();
        });
        return (quarter, eighth);
    }

    // One untimed pass over the files (the page cache, and the JIT's tiers: compiled code is promoted after 30 calls
    // and a quiet spell, which a handful of images does not give), then the best of three timed passes - the same for
    // every row, djpeg's included.
    private static double ImagesPerSecond<T>(IReadOnlyList<string> paths, Func<string, T> decode)
    {
        foreach (var p in paths)
            decode(p);
        double best = 0;
        for (int pass = 0; pass < 3; pass++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var p in paths)
                decode(p);
            best = Math.Max(best, paths.Count / clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static string? Djpeg() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "djpeg"))
            .FirstOrDefault(File.Exists);
}
