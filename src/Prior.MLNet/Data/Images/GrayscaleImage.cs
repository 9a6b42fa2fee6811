using System.Buffers;
using System.Runtime.InteropServices;
using Prior.MLNet.Data.Images.Jpeg;
using SkiaSharp;

namespace Prior.MLNet.Data.Images;

/// <summary>
/// Reads any image file a user has as 8-bit gray, as the original pipeline sees it: grayscale JPEG and PNG directly,
/// colour (RGB, RGBA, CMYK) through the ITU-R 601 luma L = (19595 R + 38470 G + 7471 B + 2¹⁵) » 16, which is Pillow's
/// <c>convert('L')</c>; baseline and progressive JPEG; DICOM (<see cref="Dicom.DicomImage"/>); PNG at 8 and 16 bits (16-bit values scaled,
/// not clipped as
/// Pillow's <c>convert('L')</c> would); the EXIF orientation applied (Pillow's <c>ImageOps.exif_transpose</c>). The
/// format is told by content, not by the file name. Every failure names the file and says what is wrong: missing,
/// empty, not an image, truncated (never half-decoded), or too large.
/// </summary>
internal static class GrayscaleImage
{
    /// <summary>The largest image accepted, in pixels (a 20,000 × 20,000 radiograph).</summary>
    public const long MaxPixels = 400_000_000;

    /// <summary>Decodes <paramref name="path"/> to row-major 8-bit gray pixels, upright, at full size.</summary>
    public static (byte[] Pixels, int Width, int Height) Read(string path) => Read(path, 0);

    /// <summary>
    /// Decodes <paramref name="path"/> to row-major 8-bit gray pixels, upright. A JPEG is decoded at the smallest of the
    /// codec's DCT scales (1/8, 2/8, … 8/8: libjpeg-turbo computes the reduced image from the frequency coefficients,
    /// never building the full one) whose width and height are both at least <paramref name="minimumSide"/>; a
    /// 2544 × 3056 radiograph for a 224-pixel network is read at 1/8, 318 × 382, several times faster than in full.
    /// Other formats, and <paramref name="minimumSide"/> 0, decode at full size. A grayscale baseline JPEG read at 1/8,
    /// 2/8 or whole goes through <see cref="Jpeg.GrayscaleJpegDecoder"/> (the same pixels, faster); everything else
    /// through SkiaSharp's codec.
    /// </summary>
    public static (byte[] Pixels, int Width, int Height) Read(string path, int minimumSide) =>
        Read(path, minimumSide, ImageReadOptions.Default, ownJpegDecoder: true);

    /// <summary>
    /// <see cref="Read(string, int)"/> within <paramref name="options"/>: a file declaring more pixels than its budget is
    /// refused from its header (<see cref="ImageBudget"/>), a multi-frame DICOM read at the frame it names.
    /// </summary>
    public static (byte[] Pixels, int Width, int Height) Read(string path, int minimumSide, ImageReadOptions options) =>
        Read(path, minimumSide, options, ownJpegDecoder: true);

    /// <summary>
    /// <see cref="Read(string, int)"/>, with <paramref name="ownJpegDecoder"/> false always through SkiaSharp's codec (the
    /// tests' reference for our own decoder).
    /// </summary>
    internal static (byte[] Pixels, int Width, int Height) Read(string path, int minimumSide, bool ownJpegDecoder) =>
        Read(path, minimumSide, ImageReadOptions.Default, ownJpegDecoder);

    private static (byte[] Pixels, int Width, int Height) Read(string path, int minimumSide, ImageReadOptions options, bool ownJpegDecoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(minimumSide);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new FileNotFoundException($"{path}: the image file does not exist.", path);
        // One read of the whole file, into a pooled buffer (a radiograph's 1.8 MB would otherwise be a fresh
        // large-object allocation per image): the end-marker check and the decoders all work on it (two opens and Skia's
        // file stream cost a third of a small image's decode).
        using var handle = File.OpenHandle(path);
        long length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength)
            throw new InvalidDataException($"{path}: {length:N0} bytes is larger than any image this library reads.");
        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            int read = 0;
            while (read < length && RandomAccess.Read(handle, buffer.AsSpan(read, (int)length - read), read) is var n and > 0)
                read += n;
            return Decode(path, buffer.AsSpan(0, read), minimumSide, options, ownJpegDecoder);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Decodes an image held in memory (an upload) as <see cref="Read(string, int)"/> decodes a file; <paramref name="name"/>
    /// names it in errors.
    /// </summary>
    public static (byte[] Pixels, int Width, int Height) Decode(string name, ReadOnlySpan<byte> bytes, int minimumSide) =>
        Decode(name, bytes, minimumSide, ImageReadOptions.Default, ownJpegDecoder: true);

    /// <summary><see cref="Decode(string, ReadOnlySpan{byte}, int)"/> within <paramref name="options"/>.</summary>
    public static (byte[] Pixels, int Width, int Height) Decode(
        string name,
        ReadOnlySpan<byte> bytes,
        int minimumSide,
        ImageReadOptions options
    ) => Decode(name, bytes, minimumSide, options, ownJpegDecoder: true);

    private static (byte[] Pixels, int Width, int Height) Decode(
        string path,
        ReadOnlySpan<byte> bytes,
        int minimumSide,
        ImageReadOptions options,
        bool ownJpegDecoder
    )
    {
        long budget = options.MaxPixels;
        if (bytes.Length == 0)
            throw new InvalidDataException($"{path}: empty file (0 bytes), not an image.");
        // DICOM (told by content): its pixel pipeline to the gray a viewer shows; a JPEG baseline frame decodes as any JPEG.
        if (Dicom.DicomReader.IsDicom(bytes))
            return Dicom.DicomImage.Decode(path, bytes, options, frame => Decode(path, frame, minimumSide, options, ownJpegDecoder));
        if (EndsEarly(bytes) is { } format)
            throw new InvalidDataException(
                $"{path}: truncated: the {format} data ends without its end marker (an interrupted copy or download?)."
            );
        // Radiographs as MIMIC-CXR-JPG and CheXpert store them (grayscale baseline JPEG) at 1/8, 2/8 or whole: our own
        // decoder, the same pixels as libjpeg-turbo's and faster; anything else, or anything it declines, SkiaSharp.
        // A damaged scan of that form is refused by name (never handed on to be filled in with gray), and so is any JPEG or
        // PNG whose data is too little for the picture it declares, before the general decoder allocates it.
        string? corruption = null;
        if (ownJpegDecoder && GrayscaleJpegDecoder.TryDecode(bytes, minimumSide, budget, out var decoded, out corruption))
            return Orient(decoded.Pixels, decoded.Width, decoded.Height, (SKEncodedOrigin)decoded.Orientation, null);
        if ((corruption ?? JpegCodedSize.Implausible(bytes) ?? PngCodedSize.Implausible(bytes)) is { } corrupt)
            throw new InvalidDataException($"{path}: {corrupt}.");
        using var data = SKData.CreateCopy(bytes);
        var stream = new SKMemoryStream(data); // the codec owns it once made
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
        {
            stream.Dispose();
            throw new InvalidDataException(
                $"{path}: not an image this library reads (JPEG, PNG, WebP, BMP, GIF); {Explain(created)}, and it starts with "
                    + $"{Head(bytes)}."
            );
        }
        int width = codec.Info.Width,
            height = codec.Info.Height;
        if (width < 1 || height < 1)
            throw new InvalidDataException($"{path}: an image of {width} × {height} pixels; not an image.");
        ImageBudget.ThrowIfOver(path, width, height, budget);
        if (minimumSide > 0 && codec.EncodedFormat == SKEncodedImageFormat.Jpeg)
            (width, height) = SmallestScale(codec, width, height, minimumSide);
        var buffers = options.Buffers;
        var gray =
            codec.Info.ColorType == SKColorType.Gray8
                ? DecodeGray(codec, path, width, height, buffers)
                : DecodeColourToLuma(codec, path, width, height, buffers);
        return Orient(gray, width, height, codec.EncodedOrigin, buffers);
    }

    // The scale GrayscaleJpegDecoder.SmallestScale picks, at the dimensions the codec gives for it (libjpeg's own
    // rounding, the same as that rule's).
    private static (int Width, int Height) SmallestScale(SKCodec codec, int width, int height, int minimumSide)
    {
        int eighths = GrayscaleJpegDecoder.SmallestScale(width, height, minimumSide);
        if (eighths == 8)
            return (width, height);
        var scaled = codec.GetScaledDimensions(eighths / 8f);
        return (scaled.Width, scaled.Height);
    }

    // A buffer of at least `length` bytes: the pool's when there is one (which the caller gives back), else its own.
    private static byte[] Buffer(long length, ArrayPool<byte>? buffers) =>
        buffers is not null && length <= int.MaxValue ? buffers.Rent((int)length) : new byte[length];

    private static byte[] DecodeGray(SKCodec codec, string path, int width, int height, ArrayPool<byte>? buffers)
    {
        var pixels = Buffer((long)width * height, buffers);
        try
        {
            Decode(codec, path, new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), pixels);
        }
        catch
        {
            buffers?.Return(pixels);
            throw;
        }
        return pixels;
    }

    private static byte[] DecodeColourToLuma(SKCodec codec, string path, int width, int height, ArrayPool<byte>? buffers)
    {
        // Unpremultiplied RGBA, so that alpha leaves the colour untouched (Pillow's convert('L') ignores alpha).
        long pixels = (long)width * height;
        var rgba = Buffer(pixels * 4, buffers);
        try
        {
            Decode(codec, path, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba);
            var gray = Buffer(pixels, buffers);
            for (long i = 0; i < pixels; i++)
                gray[i] = ColourToLuma.FromRgb(rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]);
            return gray;
        }
        finally
        {
            buffers?.Return(rgba);
        }
    }

    private static void Decode(SKCodec codec, string path, SKImageInfo info, byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        SKCodecResult result;
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        if (result == SKCodecResult.IncompleteInput)
            throw new InvalidDataException(
                $"{path}: truncated: the image data ends before the last row (an interrupted copy or download?)."
            );
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{path}: could not decode the image ({Explain(result)}).");
    }

    // EXIF orientation: the stored pixels are turned or mirrored for display; undo that as exif_transpose does.
    private static (byte[] Pixels, int Width, int Height) Orient(
        byte[] source,
        int w,
        int h,
        SKEncodedOrigin origin,
        ArrayPool<byte>? buffers
    )
    {
        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default)
            return (source, w, h);
        var turned = Turn(source, w, h, origin);
        buffers?.Return(source);
        return turned;
    }

    private static (byte[] Pixels, int Width, int Height) Turn(byte[] source, int w, int h, SKEncodedOrigin origin)
    {
        bool swap =
            origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int ow = swap ? h : w,
            oh = swap ? w : h;
        var output = new byte[(long)w * h];
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                var (sx, sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - x, y),
                    SKEncodedOrigin.BottomRight => (w - 1 - x, h - 1 - y),
                    SKEncodedOrigin.BottomLeft => (x, h - 1 - y),
                    SKEncodedOrigin.LeftTop => (y, x),
                    SKEncodedOrigin.RightTop => (y, h - 1 - x),
                    SKEncodedOrigin.RightBottom => (w - 1 - y, h - 1 - x),
                    SKEncodedOrigin.LeftBottom => (w - 1 - y, x),
                    _ => (x, y),
                };
                output[(long)y * ow + x] = source[(long)sy * w + sx];
            }
        }
        return (output, ow, oh);
    }

    // A JPEG ends with the EOI marker (FF D9), a PNG with its IEND chunk; a file cut short lacks them. Decoders
    // differ in what they make of such a file (some fill the rest with gray), so look for the marker first. A little
    // trailing data after the marker, which some writers add, is allowed.
    private static string? EndsEarly(ReadOnlySpan<byte> file)
    {
        var head = file.Slice(0, Math.Min(8, file.Length));
        bool jpeg = head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
        bool png = head.Length == 8 && head.SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        if (!jpeg && !png)
            return null;
        var tail = file.Slice(file.Length - Math.Min(file.Length, 4096));
        if (jpeg)
            return tail.IndexOf(new byte[] { 0xFF, 0xD9 }) >= 0 ? null : "JPEG";
        return tail.IndexOf("IEND"u8) >= 0 ? null : "PNG";
    }

    private static string Explain(SKCodecResult result) =>
        result switch
        {
            SKCodecResult.IncompleteInput => "the data ends early",
            SKCodecResult.ErrorInInput => "the data is corrupt",
            SKCodecResult.InvalidInput => "the data is not a known image format",
            SKCodecResult.Unimplemented => "the format's variant is not supported",
            _ => result.ToString(),
        };

    private static string Head(ReadOnlySpan<byte> file)
    {
        var head = file.Slice(0, Math.Min(8, file.Length));
        var printable = new string(head.ToArray().Select(b => b is >= 32 and < 127 ? (char)b : '.').ToArray());
        return $"bytes {Convert.ToHexString(head)} (\"{printable}\")";
    }
}
