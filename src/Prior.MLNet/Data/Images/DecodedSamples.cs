namespace Prior.MLNet.Data.Images;

/// <summary>
/// What a codec of more than eight bits decodes to (JPEG lossless, 12-bit JPEG, JPEG-LS, JPEG 2000): one plane of
/// row-major samples per component, as stored (not yet windowed), and their precision in bits.
/// </summary>
internal sealed record DecodedSamples(int[][] Planes, int Width, int Height, int Precision);
