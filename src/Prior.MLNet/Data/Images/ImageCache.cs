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
        {
            var (side, table, pixelsOffset) = ReadTable(FilePath, stream);
            Side = side;
            Count = table.Count;
            _pixelsOffset = pixelsOffset;
            _entries = new Dictionary<string, Entry>(table.Count, StringComparer.Ordinal);
            for (int i = 0; i < table.Count; i++)
                _entries[table[i].Key] = new Entry(i, table[i].Length, table[i].Ticks, table[i].Stored);
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

    /// <summary>One image of the table: its path relative to the cache's folder, its file's length and time, whether stored.</summary>
    private readonly record struct TableEntry(string Key, long Length, long Ticks, bool Stored);

    // Reads and checks the header and table; the pixels start at the offset returned.
    private static (int Side, List<TableEntry> Table, long PixelsOffset) ReadTable(string filePath, Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException($"{filePath}: not a PRIOR image cache (it does not start with PRIORIC1).");
            int side = reader.ReadInt32();
            int count = reader.ReadInt32();
            if (side < 1 || count < 0)
                throw new InvalidDataException($"{filePath}: damaged header (side {side}, {count} images).");
            var table = new List<TableEntry>(count);
            for (int i = 0; i < count; i++)
            {
                var key = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
                table.Add(new TableEntry(key, reader.ReadInt64(), reader.ReadInt64(), reader.ReadByte() == 1));
            }
            long pixelsOffset = Align(stream.Position);
            long expected = pixelsOffset + (long)count * side * side;
            if (stream.Length != expected)
                throw new InvalidDataException(
                    $"{filePath}: {stream.Length:N0} bytes where {count} images of {side} × {side} need {expected:N0} (a copy cut short?)."
                );
            return (side, table, pixelsOffset);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{filePath}: the image table ends early (a copy cut short?).");
        }
    }

    /// <summary>
    /// Joins the caches that parts of one run wrote (<c>prior cache --shard K/N</c>) into the cache that one run over the
    /// whole image list writes, byte for byte: each part gives its file and, per image in its table's order, the image's
    /// place in the whole list of <paramref name="count"/>. Keys are rebased onto <paramref name="output"/>'s folder,
    /// which must hold every image. Written atomically; returns the images stored.
    /// </summary>
    internal static int Merge(IReadOnlyList<(string File, IReadOnlyList<int> Positions)> parts, int count, string output)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var root = Path.GetDirectoryName(Path.GetFullPath(output))!;
        var slots = new (TableEntry Entry, int Part, int Index)?[count];
        var offsets = new long[parts.Count];
        int side = 0;
        for (int p = 0; p < parts.Count; p++)
        {
            var (file, positions) = parts[p];
            var full = Path.GetFullPath(file);
            using var stream = File.OpenRead(full);
            var (partSide, table, pixelsOffset) = ReadTable(full, stream);
            offsets[p] = pixelsOffset;
            if (p > 0 && partSide != side)
                throw new InvalidDataException($"{file}: images of {partSide} × {partSide}, where {parts[0].File} has {side} × {side}.");
            side = partSide;
            if (table.Count != positions.Count)
                throw new InvalidDataException(
                    $"{file}: {table.Count} images, but its record lists {positions.Count}; the cache and its record are from "
                        + "different runs."
                );
            for (int i = 0; i < table.Count; i++)
            {
                // Rebased: the part may sit elsewhere than the merged cache, but its images are where they were.
                var image = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full)!, table[i].Key));
                var key = Key(root, image);
                if (key.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(key))
                    throw new InvalidDataException(
                        $"{image}: outside {root}, so the merged cache cannot hold it (put it in the dataset root)."
                    );
                int position = positions[i];
                if (position < 0 || position >= count)
                    throw new InvalidDataException($"{file}: image {i + 1} has list position {position}, outside the list of {count}.");
                if (slots[position] is not null)
                    throw new InvalidDataException($"{file}: list position {position} is also an image of another part.");
                slots[position] = (table[i] with { Key = key }, p, i);
            }
        }
        if (Array.FindIndex(slots, s => s is null) is var gap and >= 0)
            throw new InvalidDataException($"no part holds image {gap} of the {count} listed; give every part's cache.");
        var sources = parts.Select(part => File.OpenRead(part.File)).ToArray();
        try
        {
            AtomicFile.Write(output, stream =>
            {
                using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
                writer.Write(Magic);
                writer.Write(side);
                writer.Write(count);
                foreach (var slot in slots)
                {
                    var bytes = Encoding.UTF8.GetBytes(slot!.Value.Entry.Key);
                    writer.Write(bytes.Length);
                    writer.Write(bytes);
                    writer.Write(slot.Value.Entry.Length);
                    writer.Write(slot.Value.Entry.Ticks);
                    writer.Write((byte)(slot.Value.Entry.Stored ? 1 : 0));
                }
                writer.Flush();
                stream.Write(new byte[Align(stream.Position) - stream.Position]);
                var pixels = new byte[side * side];
                foreach (var slot in slots)
                {
                    var source = sources[slot!.Value.Part];
                    source.Position = offsets[slot.Value.Part] + (long)slot.Value.Index * side * side;
                    source.ReadExactly(pixels);
                    stream.Write(pixels);
                }
            });
        }
        finally
        {
            foreach (var source in sources)
                source.Dispose();
        }
        return slots.Count(s => s!.Value.Entry.Stored);
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
