using System.Buffers;

namespace Prior.MLNet.Data.Images;

/// <summary>
/// How <see cref="GrayscaleImage"/> reads one image: the pixel budget every decoder checks against the size a file
/// declares before it allocates anything, and which frame of a multi-frame DICOM to read.
/// </summary>
public sealed record ImageReadOptions
{
    /// <summary>The defaults: the library's budget of 400 M pixels, the first frame.</summary>
    public static ImageReadOptions Default { get; } = new();

    /// <summary>
    /// The largest image decoded, in pixels (width × height as the file declares it). Default 400,000,000 (a
    /// 20,000 × 20,000 picture); a radiograph is at most about 50 M pixels, and a server should set far less than the
    /// default (<c>prior serve --max-pixels</c>). Above it a file is refused (<see cref="ImageBudget"/>).
    /// </summary>
    public long MaxPixels { get; init; } = GrayscaleImage.MaxPixels;

    /// <summary>
    /// The frame of a multi-frame DICOM read, counted from 1 as DICOM numbers frames. Default 1 (the first); 0 refuses
    /// multi-frame files. A frame past the last is refused naming how many there are.
    /// </summary>
    public int Frame { get; init; } = 1;

    /// <summary>
    /// Where the general decoder takes its full-size pixel buffers from (the gray image, a colour image's RGBA); null
    /// (default) allocates each. A server decoding a stream of large uploads gives a pool, so that the same few buffers
    /// serve every decode instead of each leaving tens of megabytes of dead pixels to the garbage collector. With a pool,
    /// the pixels returned may be one of its arrays, longer than width × height; the caller returns it after use (as
    /// <see cref="ImagePreprocessor"/> does).
    /// </summary>
    public ArrayPool<byte>? Buffers { get; init; }

    /// <summary>Checks the values, naming the one that is wrong.</summary>
    internal ImageReadOptions Validated()
    {
        if (MaxPixels < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, "The pixel budget must be at least 1 pixel.");
        if (Frame < 0)
            throw new ArgumentOutOfRangeException(nameof(Frame), Frame, "The frame is counted from 1 (0 refuses multi-frame files).");
        return this;
    }
}
