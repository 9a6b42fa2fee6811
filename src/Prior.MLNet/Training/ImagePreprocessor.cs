using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using SkiaSharp;

namespace Prior.MLNet.Training;

/// <summary>
/// PRIOR's image pipeline, on the CPU workers: decode to gray (a large JPEG at a reduced DCT scale, <see cref="DecodeOversampling"/>), resize to S×S
/// (area averaging when shrinking, close to the antialiased bilinear filter of the original's PIL resize; bilinear when
/// enlarging), then in training a random
/// affine rotation within ±<see cref="MaxRotationDegrees"/> and a horizontal flip with probability ½, scale to [0, 1]
/// and normalise with PRIOR's mean and standard deviation.
/// </summary>
public sealed class ImagePreprocessor
{
    /// <summary>MIMIC-CXR pretraining normalisation mean (PRIOR).</summary>
    public const float MimicMean = 0.4755f;
    /// <summary>MIMIC-CXR pretraining normalisation standard deviation (PRIOR).</summary>
    public const float MimicStd = 0.3011f;

    /// <summary>
    /// A JPEG larger than needed is decoded at the smallest DCT scale that keeps both sides at least this many times
    /// <see cref="Size"/>, then area-resized. Twice: a 2544 × 3056 radiograph is read at 2/8 for 224 pixels, ~3× faster
    /// than whole and within one grey level of the whole decode for 99.4 % of pixels (mean 0.16; tests). At 1/8 too few
    /// 8 × 8 blocks fall under each output pixel, and sharp edges (collimation, markers) move by up to 14 levels.
    /// </summary>
    public const int DecodeOversampling = 2;

    /// <summary>Creates the pipeline for images of <paramref name="size"/> pixels.</summary>
    public ImagePreprocessor(int size, float mean = MimicMean, float std = MimicStd, double maxRotationDegrees = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        Size = size;
        Mean = mean;
        Std = std;
        MaxRotationDegrees = maxRotationDegrees;
    }

    /// <summary>
    /// Images decoded ahead of time (<see cref="Data.Images.ImageCache"/>); null (default) decodes every file. An image the
    /// cache holds at a side of at least <see cref="Size"/> is read from it; any other is decoded from its file.
    /// </summary>
    public ImageCache? Cache
    {
        get => _cache;
        init
        {
            if (value is not null && value.Side < Size)
                throw new ArgumentException($"{value.FilePath}: the cache holds {value.Side} × {value.Side} images, smaller than the network's {Size} × {Size}.", nameof(Cache));
            _cache = value;
        }
    }

    private readonly ImageCache? _cache;
    private long _cacheHits, _cacheMisses;

    /// <summary>Images read from <see cref="Cache"/> so far.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>Images decoded from their files although a <see cref="Cache"/> is set (not in it, or changed since).</summary>
    public long CacheMisses => Interlocked.Read(ref _cacheMisses);

    /// <summary>Output height and width.</summary>
    public int Size { get; }

    /// <summary>Normalisation mean.</summary>
    public float Mean { get; }

    /// <summary>Normalisation standard deviation.</summary>
    public float Std { get; }

    /// <summary>Largest rotation of the training augmentation.</summary>
    public double MaxRotationDegrees { get; }

    /// <summary>Loads an image as Size×Size normalised floats; with <paramref name="augment"/> a random rotation and flip.</summary>
    public float[] Load(string path, DeterministicRandom? augment)
    {
        if (_cache is not null)
        {
            var cached = new byte[_cache.Side * _cache.Side];
            if (_cache.TryRead(path, cached))
            {
                Interlocked.Increment(ref _cacheHits);
                return FromGray(cached, _cache.Side, _cache.Side, augment);
            }
            Interlocked.Increment(ref _cacheMisses);
        }
        var (pixels, width, height) = GrayscaleImage.Read(path, DecodeOversampling * Size);
        return FromGray(pixels, width, height, augment);
    }

    /// <summary>
    /// Loads many images in parallel, without augmentation: each one's pixels, or null and the reason it could not be
    /// read (missing, empty, truncated, not an image), the reason starting with the file's path. Nothing throws for an
    /// unreadable file; what to do with one is the caller's choice.
    /// </summary>
    public (float[]?[] Pixels, string?[] Errors) LoadAll(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return TryEach(paths, path => Load(path, null));
    }

    /// <summary>
    /// Runs <paramref name="load"/> on every input in parallel; the failures that mean "this input cannot be read"
    /// become reasons (prefixed with the path when the input is one and the message does not start with it).
    /// </summary>
    internal static (float[]?[] Pixels, string?[] Errors) TryEach<T>(IReadOnlyList<T> inputs, Func<T, float[]> load)
    {
        var pixels = new float[]?[inputs.Count];
        var errors = new string?[inputs.Count];
        Parallel.For(0, inputs.Count, i =>
        {
            try
            {
                pixels[i] = load(inputs[i]);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                errors[i] = inputs[i] is string path && !ex.Message.StartsWith(path, StringComparison.Ordinal) ? $"{path}: {ex.Message}" : ex.Message;
            }
        });
        return (pixels, errors);
    }

    /// <summary>The same pipeline for 8-bit gray pixels already in memory (row-major, <paramref name="width"/> × <paramref name="height"/>).</summary>
    public float[] FromGray(byte[] pixels, int width, int height, DeterministicRandom? augment)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var resized = Resize(pixels, width, height);
        var output = new float[Size * Size];
        if (augment is null)
        {
            for (int i = 0; i < output.Length; i++)
                output[i] = (resized[i] / 255f - Mean) / Std;
            return output;
        }
        double angle = augment.Uniform(-MaxRotationDegrees, MaxRotationDegrees) * Math.PI / 180;
        bool flip = augment.Chance(0.5);
        double cos = Math.Cos(angle), sin = Math.Sin(angle), c = (Size - 1) / 2.0;
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                // Inverse mapping: where in the source does this output pixel come from (zero outside).
                double dx = (flip ? Size - 1 - x : x) - c, dy = y - c;
                double sx = cos * dx + sin * dy + c, sy = -sin * dx + cos * dy + c;
                output[y * Size + x] = (Bilinear(resized, sx, sy) / 255f - Mean) / Std;
            }
        }
        return output;
    }

    private byte[] Resize(byte[] pixels, int width, int height)
    {
        if (width == Size && height == Size)
            return pixels;
        if (width >= Size && height >= Size)
            return AreaResize.Downscale(pixels, width, height, Size, Size);
        // Enlarging (an image smaller than the network's input): bilinear.
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var source = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, source.GetPixels(), pixels.Length);
        using var resized = source.Resize(new SKImageInfo(Size, Size, SKColorType.Gray8, SKAlphaType.Opaque), SKFilterQuality.Low)
            ?? throw new InvalidDataException("SkiaSharp could not resize the image.");
        var result = new byte[Size * Size];
        System.Runtime.InteropServices.Marshal.Copy(resized.GetPixels(), result, 0, result.Length);
        return result;
    }

    private float Bilinear(byte[] image, double x, double y)
    {
        if (x < 0 || y < 0 || x > Size - 1 || y > Size - 1)
            return 0;
        int x0 = (int)x, y0 = (int)y, x1 = Math.Min(x0 + 1, Size - 1), y1 = Math.Min(y0 + 1, Size - 1);
        double fx = x - x0, fy = y - y0;
        double top = image[y0 * Size + x0] * (1 - fx) + image[y0 * Size + x1] * fx;
        double bottom = image[y1 * Size + x0] * (1 - fx) + image[y1 * Size + x1] * fx;
        return (float)(top * (1 - fy) + bottom * fy);
    }
}
