using Prior.MLNet.Data.Images.Dicom;
using SkiaSharp;

namespace Prior.MLNet.Data.Images;

/// <summary>
/// An image file's width and height in pixels as <see cref="GrayscaleImage"/> would decode it at full size, read from
/// the header only: DICOM's Columns and Rows, PNG's and JPEG's own header (a 90° EXIF orientation swaps them, as the
/// decoder turns the image upright). What a loader checks annotations against without decoding a single pixel.
/// </summary>
internal static class ImageGeometry
{
    /// <summary>Reads the size of <paramref name="path"/>; every failure names the file.</summary>
    public static (int Width, int Height) Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the image file does not exist.", path);
        Span<byte> head = stackalloc byte[132];
        int read;
        using (var stream = File.OpenRead(path))
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (DicomReader.IsDicom(head[..read]))
        {
            var header = DicomReader.ReadHeader(path);
            if (header.Rows <= 0 || header.Columns <= 0)
                throw new InvalidDataException($"{path}: the DICOM header has no Rows and Columns (0028,0010/0011); not an image.");
            return (header.Columns, header.Rows);
        }
        using var codec = SKCodec.Create(path)
            ?? throw new InvalidDataException($"{path}: not an image this library reads (not PNG, JPEG or DICOM).");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        return
            codec.EncodedOrigin
                is SKEncodedOrigin.LeftTop
                    or SKEncodedOrigin.RightTop
                    or SKEncodedOrigin.RightBottom
                    or SKEncodedOrigin.LeftBottom
            ? (height, width)
            : (width, height);
    }
}
