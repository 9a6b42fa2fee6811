using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using Prior.MLNet.IO;

namespace Prior.MLNet.Data.Images;

/// <summary>
/// Radiographs decoded once, shrunk to <see cref="Side"/> × <see cref="Side"/> 8-bit gray, in one file that training
/// memory-maps: what practitioners do before long MIMIC-CXR runs, where decoding 377k JPEGs of 2500 × 3000 pixels every
/// epoch would cost more than the network. Images are found by their path relative to the cache file's folder (the
/// dataset root), so data and cache move together; each entry keeps its JPEG's length and modification time, and an
/// image whose file has changed since is not served from the cache (the pipeline decodes the file instead).
/// </summary>
/// <remarks>
/// Layout, little-endian: the magic <c>PRIORIC1</c>; side and count (int32); then per image its relative path (int32
/// byte length and UTF-8 bytes), its file's length and last-write time in UTC ticks (int64 each) and a stored flag
/// (byte); then, from the next 4096-byte boundary, side² bytes per image in table order (zeros for an image that could
/// not be decoded). Written to a temporary file and moved into place.
/// </remarks>
internal sealed class ImageCache : IDisposable
{
    private static readonly byte[] Magic = "PRIORIC1"u8.ToArray();
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, Entry> _entries;
    private readonly long _pixelsOffset;
    private readonly string _root;

    private readonly record struct Entry(int Index, long Length, long Ticks, bool Stored);

    /// <summary>The file name <see cref="Build"/> writes in a dataset root for a side: <c>prior-image-cache-{side}.bin</c>.</summary>
    public static string FileName(int side) => $"prior-image-cache-{side}.bin";

    /// <summary>Opens a cache file for reading (memory-mapped; nothing is read until an image is asked for).</summary>
    public ImageCache(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FilePath = Path.GetFullPath(path);
        _root = Path.GetDirectoryName(FilePath)!;
        if (!File.Exists(FilePath))
            throw new FileNotFoundException($"{FilePath}: the image cache does not exist (write one with `prior cache`).", FilePath);
        using (var stream = File.OpenRead(FilePath))
        using (var reader = new BinaryReader(stream, Encoding.UTF8))
        {
            try
            {
                if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                    throw new InvalidDataException($"{FilePath}: not a PRIOR image cache (it does not start with PRIORIC1).");
                Side = reader.ReadInt32();
                int count = reader.ReadInt32();
                if (Side < 1 || count < 0)
                    throw new InvalidDataException($"{FilePath}: damaged header (side {Side}, {count} images).");
                _entries = new Dictionary<string, Entry>(count, StringComparer.Ordinal);
                for (int i = 0; i < count; i++)
                {
                    var key = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
                    _entries[key] = new Entry(i, reader.ReadInt64(), reader.ReadInt64(), reader.ReadByte() == 1);
                }
                _pixelsOffset = Align(stream.Position);
                Count = count;
                long expected = _pixelsOffset + (long)count * Side * Side;
                if (stream.Length != expected)
                    throw new InvalidDataException(
                        $"{FilePath}: {stream.Length:N0} bytes where {count} images of {Side} × {Side} need {expected:N0} (a copy cut "
                            + $"short?)."
                    );
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"{FilePath}: the image table ends early (a copy cut short?).");
            }
        }
        _file = MemoryMappedFile.CreateFromFile(FilePath, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
    }

    /// <summary>The cache file.</summary>
    public string FilePath { get; }

    /// <summary>Height and width of every stored image.</summary>
    public int Side { get; }

    /// <summary>Images in the table (stored or not).</summary>
    public int Count { get; }

    /// <summary>
    /// Copies the stored pixels of <paramref name="imagePath"/> into <paramref name="destination"/> (Side² bytes) and
    /// returns true; false when the image is not in the cache, could not be decoded when it was built, or its file has
    /// changed since (length or modification time).
    /// </summary>
    public bool TryRead(string imagePath, byte[] destination)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Length != Side * Side)
            throw new ArgumentException($"The destination holds {destination.Length} bytes, not {Side} × {Side}.", nameof(destination));
        if (!_entries.TryGetValue(Key(_root, imagePath), out var entry) || !entry.Stored)
            return false;
        var file = new FileInfo(imagePath);
        if (!file.Exists || file.Length != entry.Length || file.LastWriteTimeUtc.Ticks != entry.Ticks)
            return false;
        return _view.ReadArray(_pixelsOffset + (long)entry.Index * Side * Side, destination, 0, destination.Length) == destination.Length;
    }

    /// <summary>
    /// Decodes every image of <paramref name="imagePaths"/> (JPEGs at a reduced DCT scale, then area-resized to
    /// <paramref name="side"/> × <paramref name="side"/>, as the training pipeline does) in parallel and writes them to
    /// <paramref name="output"/>, keyed by their paths relative to its folder, which must contain them all.
    /// </summary>
    /// <returns>The images that could not be decoded, each with its reason; they are left out of the cache.</returns>
    public static IReadOnlyList<string> Build(
        IReadOnlyList<string> imagePaths,
        int side,
        string output,
        IProgress<int>? progress = null,
        CancellationToken cancellation = default
    )
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentOutOfRangeException.ThrowIfLessThan(side, 8);
        var root = Path.GetDirectoryName(Path.GetFullPath(output))!;
        var paths = imagePaths.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        var keys = paths.Select(p => Key(root, p)).ToList();
        if (keys.FirstOrDefault(k => k.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(k)) is { } outside)
            throw new ArgumentException(
                $"{outside}: the cache in {root} can only hold images under that folder (put the cache in the dataset root).",
                nameof(imagePaths)
            );
        var failures = new List<string>();
        AtomicFile.Write(output, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(side);
            writer.Write(paths.Count);
            // The table first, with every image marked stored; the flags of failures are patched at the end.
            var flagOffsets = new long[paths.Count];
            for (int i = 0; i < paths.Count; i++)
            {
                var bytes = Encoding.UTF8.GetBytes(keys[i]);
                var info = new FileInfo(paths[i]);
                writer.Write(bytes.Length);
                writer.Write(bytes);
                writer.Write(info.Exists ? info.Length : -1L);
                writer.Write(info.Exists ? info.LastWriteTimeUtc.Ticks : -1L);
                writer.Flush();
                flagOffsets[i] = stream.Position;
                writer.Write((byte)1);
            }
            writer.Flush();
            stream.Write(new byte[Align(stream.Position) - stream.Position]);
            // Blocks of images decoded in parallel, written in order: memory stays at one block whatever the count.
            const int block = 256;
            var pixels = new byte[block][];
            var failed = new List<int>();
            for (int first = 0; first < paths.Count; first += block)
            {
                cancellation.ThrowIfCancellationRequested();
                int n = Math.Min(block, paths.Count - first);
                var errors = new string?[n];
                Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellation }, i =>
                {
                    try
                    {
                        var (gray, w, h) = GrayscaleImage.Read(paths[first + i], 2 * side);
                        pixels[i] =
                            w == side && h == side ? gray
                            : w >= side && h >= side ? AreaResize.Downscale(gray, w, h, side, side)
                            : throw new InvalidDataException($"{paths[first + i]}: {w} × {h} is smaller than the cache's {side} × {side}.");
                    }
                    catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
                    {
                        pixels[i] = new byte[side * side];
                        errors[i] = ex.Message.StartsWith(paths[first + i], StringComparison.Ordinal)
                            ? ex.Message
                            : $"{paths[first + i]}: {ex.Message}";
                    }
                });
                for (int i = 0; i < n; i++)
                {
                    stream.Write(pixels[i]);
                    if (errors[i] is { } error)
                    {
                        failures.Add(error);
                        failed.Add(first + i);
                    }
                }
                progress?.Report(first + n);
            }
            foreach (var i in failed)
            {
                stream.Position = flagOffsets[i];
                stream.WriteByte(0);
            }
            stream.Position = stream.Length;
        });
        return failures;
    }

    private static string Key(string root, string path) => Path.GetRelativePath(root, Path.GetFullPath(path)).Replace('\\', '/');

    private static long Align(long position) => (position + 4095) / 4096 * 4096;

    /// <inheritdoc />
    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }
}
