using System.IO.Compression;
using System.Text;

namespace Prior.MLNet.IO;

/// <summary>Opens text files that may be gzip-compressed (MIMIC ships its CSV tables as <c>.csv.gz</c>).</summary>
internal static class CompressedText
{
    /// <summary>
    /// Opens <paramref name="path"/> for reading, decompressing it when it starts with the gzip magic bytes,
    /// whatever its extension.
    /// </summary>
    public static StreamReader OpenRead(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Stream stream = file;
            Span<byte> magic = stackalloc byte[2];
            int read = file.Read(magic);
            file.Position = 0;
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
                stream = new GZipStream(file, CompressionMode.Decompress);
            return new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Finds a table given its path with or without the <c>.gz</c> suffix: returns the first of
    /// <paramref name="path"/>, <c>path.gz</c> and <c>path</c> without <c>.gz</c> that exists, or null.
    /// </summary>
    public static string? Resolve(string path)
    {
        if (File.Exists(path))
            return path;
        var alternative = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path + ".gz";
        return File.Exists(alternative) ? alternative : null;
    }

    /// <summary>Writes text atomically, gzip-compressed when <paramref name="path"/> ends in <c>.gz</c>.</summary>
    public static void WriteAtomically(string path, Action<TextWriter> write)
    {
        AtomicFile.Write(path, stream =>
        {
            Stream target = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true)
                : stream;
            using (var writer = new StreamWriter(target, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" })
                write(writer);
            if (!ReferenceEquals(target, stream))
                target.Dispose();
        });
    }
}
