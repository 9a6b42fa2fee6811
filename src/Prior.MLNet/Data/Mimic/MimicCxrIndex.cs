using System.Text.Json;
using System.Text.Json.Serialization;
using Prior.MLNet.Data.Reports;
using Prior.MLNet.IO;

namespace Prior.MLNet.Data.Mimic;

/// <summary>
/// The pretraining index: what PRIOR's build step (<c>mimiccxr.py build</c>) produced, one record per usable
/// study with its PA/AP images, sections, sentences and labels. JSON Lines (gzip-compressed when the name ends in
/// <c>.gz</c>): a header line, then one study per line, so it is written and read as a stream.
/// <code>
/// {"format":"prior-mimic-cxr-index","version":1,"imageFolder":"/data/mimic-cxr-jpg/2.0.0/files","studies":N,"skipped":{"MissingReport":3}}
/// {"subjectId":10000032,"studyId":50414267,"split":"train","images":[{"dicomId":"…","view":"PA","path":"p10/p10000032/s50414267/….jpg"}],
///  "findings":"…","impression":"…","findingsSentences":["…"],"impressionSentences":["…"],"labels":[1,0,null,…]}
/// </code>
/// Version history: 1 — first version.
/// </summary>
public static class MimicCxrIndex
{
    /// <summary>The header's format name.</summary>
    public const string FormatName = "prior-mimic-cxr-index";

    /// <summary>The version this code writes and reads.</summary>
    public const int Version = 1;

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
    };

    internal sealed class Header
    {
        public string Format { get; set; } = string.Empty;
        public int Version { get; set; }
        public string ImageFolder { get; set; } = string.Empty;
        public int Studies { get; set; }
        public Dictionary<string, int> Skipped { get; set; } = new();
    }

    internal sealed class Image
    {
        public string DicomId { get; set; } = string.Empty;
        public string View { get; set; } = string.Empty;
        public string Path { get; set; } = string.Empty;
    }

    internal sealed class Record
    {
        public long SubjectId { get; set; }
        public long StudyId { get; set; }
        public string Split { get; set; } = string.Empty;
        public List<Image> Images { get; set; } = new();
        public string Findings { get; set; } = string.Empty;
        public string Impression { get; set; } = string.Empty;
        public List<string> FindingsSentences { get; set; } = new();
        public List<string> ImpressionSentences { get; set; } = new();
        public float?[] Labels { get; set; } = [];
    }

    /// <summary>
    /// Scans a MIMIC-CXR install (folders and tables of <paramref name="options"/>) and writes the index to
    /// <paramref name="outputPath"/> atomically. Returns what was accepted and skipped.
    /// </summary>
    public static DataLoadSummary Write(MimicCxrLoaderOptions options, string outputPath) => WriteIndex(options, outputPath).Summary;

    /// <summary>
    /// What writing an index gives besides its summary: every study of the metadata table in first-seen order, and the
    /// places in that order of the studies written, from which the parts of a sharded build merge back in order.
    /// </summary>
    internal sealed record Written(DataLoadSummary Summary, IReadOnlyList<long> StudyOrder, IReadOnlyList<int> Positions);

    /// <summary><see cref="Write"/>, also giving the order the records were written in.</summary>
    internal static Written WriteIndex(MimicCxrLoaderOptions options, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        if (options.IndexPath is not null)
            throw new ArgumentException("An index is written from the folders and tables, not from another index.", nameof(options));
        options.Validate();
        var summary = new DataLoadSummary();
        var entries = MimicCxrScanner.Scan(options, summary, out var studyOrder);
        var imageFolder = Path.GetFullPath(options.ImageFolder!);
        CompressedText.WriteAtomically(outputPath, writer =>
        {
            var header = new Header
            {
                Format = FormatName,
                Version = Version,
                ImageFolder = imageFolder,
                Studies = entries.Count,
                Skipped = summary.Skipped.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
            };
            writer.Write(JsonSerializer.Serialize(header, Json));
            writer.Write('\n');
            int written = 0;
            foreach (var entry in entries)
            {
                var reportPath = Path.Combine(options.ReportFolder!, MimicCxrPaths.Report(entry.SubjectId, entry.StudyId));
                var report = ParsedReport.Parse(File.ReadAllText(reportPath))
                    ?? throw new InvalidDataException($"{reportPath}: the report changed while the index was written.");
                var record = new Record
                {
                    SubjectId = entry.SubjectId,
                    StudyId = entry.StudyId,
                    Split = entry.Split,
                    Images = entry
                        .Images.Select(im => new Image
                        {
                            DicomId = im.DicomId,
                            View = im.View,
                            Path = MimicCxrPaths
                                .Image(entry.SubjectId, entry.StudyId, im.DicomId, options.ImageExtension)
                                .Replace('\\', '/'),
                        })
                        .ToList(),
                    Findings = report.Findings,
                    Impression = report.Impression,
                    FindingsSentences = report.FindingsSentences.ToList(),
                    ImpressionSentences = report.ImpressionSentences.ToList(),
                    Labels = entry.RawLabels.Select(v => float.IsNaN(v) ? (float?)null : v).ToArray(),
                };
                writer.Write(JsonSerializer.Serialize(record, Json));
                writer.Write('\n');
                if (options.Progress is { } progress && (++written % 5000 == 0 || written == entries.Count))
                    progress.Report($"MIMIC-CXR index: {written}/{entries.Count} studies written");
            }
        });
        return new Written(summary, studyOrder, entries.Select(e => e.Order).ToList());
    }

    /// <summary>
    /// The header of the index that parts of one build (<see cref="MimicCxrLoaderOptions.Shard"/>) make together: their
    /// studies and skips added up, the skips in the order a whole build writes them. Parts of another format, version or
    /// image folder are refused by file.
    /// </summary>
    internal static string MergeHeaders(IReadOnlyList<(string File, string Line)> parts)
    {
        var headers = parts.Select(p => (p.File, Header: ReadHeader(p.File, new StringReader(p.Line)))).ToList();
        var first = headers[0];
        foreach (var (file, header) in headers.Skip(1))
            if (header.ImageFolder != first.Header.ImageFolder)
                throw new InvalidDataException(
                    $"{file}: its images are in {header.ImageFolder}, those of {first.File} in {first.Header.ImageFolder}; merge the "
                        + "parts of one build."
                );
        var skipped = new Dictionary<SkipReason, int>();
        foreach (var (file, header) in headers)
        foreach (var (name, count) in header.Skipped)
        {
            if (!Enum.TryParse<SkipReason>(name, out var reason))
                throw new InvalidDataException($"{file}: the header counts skips of an unknown reason '{name}'.");
            skipped[reason] = skipped.GetValueOrDefault(reason) + count;
        }
        var merged = new Header
        {
            Format = FormatName,
            Version = Version,
            ImageFolder = first.Header.ImageFolder,
            Studies = headers.Sum(h => h.Header.Studies),
            Skipped = skipped.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
        };
        return JsonSerializer.Serialize(merged, Json);
    }

    /// <summary>Reads the header of an index, checking its format and version.</summary>
    internal static Header ReadHeader(string path, TextReader reader)
    {
        var line = reader.ReadLine() ?? throw new InvalidDataException($"{path}: the index is empty.");
        Header? header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(line, Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: line 1 is not a {FormatName} header ({ex.Message}).", ex);
        }
        if (header is null || header.Format != FormatName)
            throw new InvalidDataException($"{path}: not a {FormatName} file (line 1 says format '{header?.Format}').");
        if (header.Version != Version)
            throw new InvalidDataException(
                $"{path}: index version {header.Version} is not supported; this build reads version {Version}. Rebuild it with 'prior "
                    + $"mimic-index'."
            );
        return header;
    }

    /// <summary>Streams the records of an index with their line numbers; malformed lines are counted and skipped.</summary>
    internal static IEnumerable<(Header Header, Record Record, long Line)> ReadRecords(string path, DataLoadSummary? summary)
    {
        using var reader = CompressedText.OpenRead(path);
        var header = ReadHeader(path, reader);
        long lineNumber = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            Record? record = null;
            string? error = null;
            try
            {
                record = JsonSerializer.Deserialize<Record>(line, Json);
                if (record is null || record.Images.Count == 0 || record.Labels.Length != ChexpertLabels.Count)
                    error = "a record needs at least one image and 14 labels";
            }
            catch (JsonException ex)
            {
                error = ex.Message;
            }
            if (error is not null)
            {
                summary?.Skip(SkipReason.MalformedRow, path, lineNumber, error);
                continue;
            }
            yield return (header, record!, lineNumber);
        }
    }
}
