using Prior.MLNet.Data;
using SkiaSharp;

namespace Prior.MLNet.Data.Images;

/// <summary>
/// PRIOR's image pipeline, on the CPU workers: decode to gray (a large JPEG at a reduced DCT scale, <see cref="DecodeOversampling"/>),
/// resize to S×S
/// (area averaging when shrinking, close to the antialiased bilinear filter of the original's PIL resize; bilinear when
/// enlarging), then in training a random
/// affine rotation within ±<see cref="MaxRotationDegrees"/> and a horizontal flip with probability ½, scale to [0, 1]
/// and normalise with PRIOR's mean and standard deviation. A network hands out its own
/// (<c>PriorNetwork.ImagePreprocessor</c>, <c>PriorNetwork.ZeroShotImagePreprocessor</c>), so that every path reads an image
/// as the network was trained to see it.
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
    internal const int DecodeOversampling = 2;

    /// <summary>Creates the pipeline for images of <paramref name="size"/> pixels, normalised by <paramref name="mean"/>
    /// and <paramref name="std"/> (by default MIMIC-CXR's, as PRIOR pretrains).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is under 8.</exception>
    public ImagePreprocessor(int size, float mean = MimicMean, float std = MimicStd)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        Size = size;
        Mean = mean;
        Std = std;
        _normalised = new float[256];
        for (int v = 0; v < 256; v++)
            _normalised[v] = (v / 255f - mean) / std;
    }

    // (v / 255 - Mean) / Std of every grey level, computed as the per-pixel formula computes it: one table read per
    // pixel instead of two float divisions, bit for bit the same.
    private readonly float[] _normalised;

    // Each grey level as a double: a table read instead of an integer-to-double conversion, the same value.
    private static readonly double[] GreyLevels = Enumerable.Range(0, 256).Select(v => (double)v).ToArray();

    /// <summary>
    /// Images decoded ahead of time (<see cref="Data.Images.ImageCache"/>); null (default) decodes every file. An image the
    /// cache holds at a side of at least <see cref="Size"/> is read from it; any other is decoded from its file.
    /// </summary>
    internal ImageCache? Cache
    {
        get => _cache;
        init
        {
            if (value is not null && value.Side < Size)
                throw new ArgumentException(
                    $"{value.FilePath}: the cache holds {value.Side} × {value.Side} images, smaller than the network's {Size} × {Size}.",
                    nameof(Cache)
                );
            _cache = value;
        }
    }

    private readonly ImageCache? _cache;
    private long _cacheHits,
        _cacheMisses;

    /// <summary>Images read from <see cref="Cache"/> so far.</summary>
    internal long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>Images decoded from their files although a <see cref="Cache"/> is set (not in it, or changed since).</summary>
    internal long CacheMisses => Interlocked.Read(ref _cacheMisses);

    /// <summary>Output height and width.</summary>
    public int Size { get; }

    /// <summary>Normalisation mean.</summary>
    public float Mean { get; }

    /// <summary>Normalisation standard deviation.</summary>
    public float Std { get; }

    /// <summary>Largest rotation of the training augmentation. Default 5 degrees.</summary>
    internal double MaxRotationDegrees { get; init; } = 5;

    /// <summary>
    /// Loads an image file (JPEG, PNG, DICOM, …) as <see cref="Size"/> × <see cref="Size"/> normalised floats, row-major,
    /// decoded within <paramref name="read"/> (its pixel budget and DICOM frame; the defaults when null).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable image, or its declared size is over the budget;
    /// the message names the file and why.</exception>
    public float[] Load(string path, ImageReadOptions? read = null) => Load(path, null, read);

    /// <summary>
    /// Loads an image as Size×Size normalised floats; with <paramref name="augment"/> a random rotation and flip. A
    /// file is decoded within <paramref name="read"/> (its pixel budget and DICOM frame; the defaults when null).
    /// </summary>
    internal float[] Load(string path, DeterministicRandom? augment, ImageReadOptions? read = null)
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
        read ??= ImageReadOptions.Default;
        var (pixels, width, height) = GrayscaleImage.Read(path, DecodeOversampling * Size, read);
        return FromGrayAndReturn(pixels, width, height, augment, read);
    }

    /// <summary>
    /// Decodes an image held in memory (JPEG, PNG, DICOM, …) as <see cref="Load(string, ImageReadOptions)"/> decodes a
    /// file, without augmentation; <paramref name="name"/> names it in errors (<see cref="InvalidDataException"/> for bytes
    /// that are not a readable image, or whose declared size is over <paramref name="read"/>'s pixel budget).
    /// </summary>
    public float[] LoadBytes(string name, ReadOnlySpan<byte> bytes, ImageReadOptions? read = null)
    {
        read ??= ImageReadOptions.Default;
        var (pixels, width, height) = GrayscaleImage.Decode(name, bytes, DecodeOversampling * Size, read);
        return FromGrayAndReturn(pixels, width, height, null, read);
    }

    // The pipeline on decoded pixels, then the pixels given back to the read options' pool, if any, once resized. Only an
    // array whose length is one of the pool's sizes (a power of two) can be one of its own; another of such a length is
    // adopted, which is harmless, since nothing else holds the decoder's output.
    private float[] FromGrayAndReturn(byte[] pixels, int width, int height, DeterministicRandom? augment, ImageReadOptions read)
    {
        var output = FromGray(pixels, width, height, augment);
        if (read.Buffers is { } buffers && pixels.Length >= 16 && System.Numerics.BitOperations.IsPow2(pixels.Length))
            buffers.Return(pixels);
        return output;
    }

    /// <summary>
    /// Loads many images in parallel, without augmentation: each one's pixels, or null and the reason it could not be
    /// read (missing, empty, truncated, not an image), the reason starting with the file's path. Nothing throws for an
    /// unreadable file; what to do with one is the caller's choice.
    /// </summary>
    public (float[]?[] Pixels, string?[] Errors) LoadAll(IReadOnlyList<string> paths, ImageReadOptions? read = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return TryEach(paths, path => Load(path, null, read));
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
            catch (Exception ex)
                when (ex
                        is IOException
                            or InvalidDataException
                            or UnauthorizedAccessException
                            or ArgumentException
                            or InvalidOperationException
                )
            {
                errors[i] =
                    inputs[i] is string path && !ex.Message.StartsWith(path, StringComparison.Ordinal)
                        ? $"{path}: {ex.Message}"
                        : ex.Message;
            }
        });
        return (pixels, errors);
    }

    /// <summary>The same pipeline for 8-bit gray pixels already in memory (row-major, <paramref name="width"/> × <paramref
    /// name="height"/>; the array may be longer, as a pooled one is).</summary>
    internal float[] FromGray(byte[] pixels, int width, int height, DeterministicRandom? augment)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var resized = Resize(pixels, width, height);
        int size = Size;
        var output = new float[size * size];
        if (augment is null)
        {
            var table = _normalised;
            for (int i = 0; i < output.Length; i++)
                output[i] = table[resized[i]];
            return output;
        }
        double angle = augment.Uniform(-MaxRotationDegrees, MaxRotationDegrees) * Math.PI / 180;
        bool flip = augment.Chance(0.5);
        double cos = Math.Cos(angle),
            sin = Math.Sin(angle),
            c = (size - 1) / 2.0,
            last = size - 1;
        float mean = Mean,
            std = Std;
        // Inverse mapping: where in the source each output pixel comes from (zero outside), then bilinear interpolation
        // there. Written out here (a call per pixel cost as much as the arithmetic) with the same operations in the
        // same order as ever, so training on a seed stays bit for bit the same; the column's products are the same
        // for every row and are computed once.
        var level = GreyLevels;
        var cosDx = new double[size];
        var negSinDx = new double[size];
        for (int x = 0; x < size; x++)
        {
            double dx = (flip ? size - 1 - x : x) - c;
            cosDx[x] = cos * dx;
            negSinDx[x] = -sin * dx;
        }
        for (int y = 0; y < size; y++)
        {
            double dy = y - c,
                sinDy = sin * dy,
                cosDy = cos * dy;
            for (int x = 0; x < size; x++)
            {
                double sx = cosDx[x] + sinDy + c,
                    sy = negSinDx[x] + cosDy + c;
                float value = 0;
                if (!(sx < 0 || sy < 0 || sx > last || sy > last))
                {
                    int x0 = (int)sx,
                        y0 = (int)sy,
                        x1 = Math.Min(x0 + 1, size - 1),
                        y1 = Math.Min(y0 + 1, size - 1);
                    double fx = sx - x0,
                        fy = sy - y0;
                    double top = level[resized[y0 * size + x0]] * (1 - fx) + level[resized[y0 * size + x1]] * fx;
                    double bottom = level[resized[y1 * size + x0]] * (1 - fx) + level[resized[y1 * size + x1]] * fx;
                    value = (float)(top * (1 - fy) + bottom * fy);
                }
                output[y * size + x] = (value / 255f - mean) / std;
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
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, source.GetPixels(), width * height);
        using var resized = source.Resize(new SKImageInfo(Size, Size, SKColorType.Gray8, SKAlphaType.Opaque), SKFilterQuality.Low)
            ?? throw new InvalidDataException("SkiaSharp could not resize the image.");
        var result = new byte[Size * Size];
        System.Runtime.InteropServices.Marshal.Copy(resized.GetPixels(), result, 0, result.Length);
        return result;
    }
}
