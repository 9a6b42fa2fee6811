using System.Runtime.InteropServices;
using SkiaSharp;

namespace Prior.MLNet.Data.Images;

/// <summary>Encodes and decodes 8-bit grayscale images as JPEG (the format of MIMIC-CXR-JPG and CheXpert) with SkiaSharp.</summary>
internal static class GrayscaleJpeg
{
    /// <summary>Encodes row-major 8-bit gray pixels as a single-channel JPEG.</summary>
    public static byte[] Encode(byte[] pixels, int width, int height, int quality = 90)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != width * height)
            throw new ArgumentException($"Expected {width}x{height} = {width * height} pixels, got {pixels.Length}.", nameof(pixels));
        var info = new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the JPEG.");
        return data.ToArray();
    }

    /// <summary>Decodes an image file to upright 8-bit gray pixels (any format and colour type; see <see
    /// cref="GrayscaleImage.Read(string)"/>).</summary>
    public static (byte[] Pixels, int Width, int Height) Decode(string path) => GrayscaleImage.Read(path);
}
