namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// A JPEG decoded at a reduced DCT scale by <see cref="ReducedJpegDecoder"/>: row-major 8-bit gray pixels as stored
/// (not yet turned upright) and the EXIF orientation, 1-8 (1: upright), that turns them.
/// </summary>
internal readonly record struct ReducedJpeg(byte[] Pixels, int Width, int Height, int Orientation);
