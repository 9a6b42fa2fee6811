namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// A JPEG decoded by <see cref="GrayscaleJpegDecoder"/> (at 1/8, 2/8 or whole): row-major 8-bit gray pixels as stored
/// (not yet turned upright) and the EXIF orientation, 1-8 (1: upright), that turns them.
/// </summary>
internal readonly record struct DecodedJpeg(byte[] Pixels, int Width, int Height, int Orientation);
