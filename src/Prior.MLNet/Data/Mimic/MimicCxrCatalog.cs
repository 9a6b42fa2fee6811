using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Reports;

namespace Prior.MLNet.Data.Mimic;

/// <summary>
/// <c>mlContext.Data.LoadMimicCxr(...)</c>: MIMIC-CXR(-JPG) studies as an <see cref="IDataView"/>, one row per study
/// (columns in <see cref="MimicCxrColumns"/>, row type <see cref="MimicCxrStudy"/>). From the folders, loading
/// scans the tables and reports once (PRIOR's build step, with its filters) and keeps only compact per-study
/// records; from an index it streams. Report text is read from disk by each cursor, never held.
/// </summary>
public static class MimicCxrCatalog
{
    /// <summary>Loads a MIMIC-CXR root folder (see <see cref="MimicCxrLoaderOptions.FromRoot"/>) or an index file.</summary>
    public static IDataView LoadMimicCxr(this DataOperationsCatalog catalog, string rootOrIndex) =>
        catalog.LoadMimicCxr(MimicCxrLoaderOptions.FromRoot(rootOrIndex), out _);

    /// <summary>Loads MIMIC-CXR as described by <paramref name="options"/>.</summary>
    public static IDataView LoadMimicCxr(this DataOperationsCatalog catalog, MimicCxrLoaderOptions options) =>
        catalog.LoadMimicCxr(options, out _);

    /// <summary>Loads MIMIC-CXR and says what was accepted and what was skipped, by reason and place.</summary>
    public static IDataView LoadMimicCxr(this DataOperationsCatalog catalog, MimicCxrLoaderOptions options, out DataLoadSummary summary)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var result = new DataLoadSummary();
        IEnumerable<MimicCxrStudy> rows;
        if (options.IndexPath is { } index)
        {
            if (!File.Exists(index))
                throw new FileNotFoundException($"{index}: the MIMIC-CXR index does not exist.", index);
            // One streaming pass to count, so that nothing is filtered silently.
            var splitFilter = options.SplitFilter();
            var shard = options.Shard;
            // A malformed line names no study: part 0 counts it, so that the parts' counts add up to the whole's.
            foreach (var (header, record, _) in MimicCxrIndex.ReadRecords(index, shard?.HoldsUnattributed == false ? null : result))
            {
                if (shard?.HoldsStudy(record.StudyId) == false)
                    continue;
                if (splitFilter is null || splitFilter.Contains(record.Split))
                    result.Accept();
                else
                    result.Skip(SkipReason.SplitFiltered, index, null, record.Split);
            }
            rows = new ReplayableEnumerable<MimicCxrStudy>(() => FromIndex(index, options, splitFilter));
        }
        else
        {
            var entries = MimicCxrScanner.Scan(options, result);
            rows = new ReplayableEnumerable<MimicCxrStudy>(() => FromFolders(entries, options));
        }
        summary = result;
        return catalog.LoadFromEnumerable(rows, Schema.Value);
    }

    private static readonly Lazy<SchemaDefinition> Schema = new(() =>
    {
        var definition = SchemaDefinition.Create(typeof(MimicCxrStudy));
        LabelColumn.AddSlotNames(definition[MimicCxrColumns.Labels]);
        return definition;
    });

    private static IEnumerable<MimicCxrStudy> FromFolders(List<MimicCxrStudyEntry> entries, MimicCxrLoaderOptions options)
    {
        foreach (var entry in entries)
        {
            var reportPath = Path.Combine(options.ReportFolder!, MimicCxrPaths.Report(entry.SubjectId, entry.StudyId));
            var report = ParsedReport.Parse(File.ReadAllText(reportPath))
                ?? throw new InvalidDataException($"{reportPath}: the report lost its FINDINGS and IMPRESSION after loading.");
            var paths = entry
                .Images.Select(im =>
                    Path.Combine(
                        options.ImageFolder!,
                        MimicCxrPaths.Image(entry.SubjectId, entry.StudyId, im.DicomId, options.ImageExtension)
                    )
                )
                .ToArray();
            yield return Row(
                entry.SubjectId,
                entry.StudyId,
                entry.Split,
                paths,
                entry.Images.Select(i => i.DicomId).ToArray(),
                entry.Images.Select(i => i.View).ToArray(),
                report.Findings,
                report.Impression,
                report.Sentences.ToArray(),
                entry.RawLabels,
                options
            );
        }
    }

    private static IEnumerable<MimicCxrStudy> FromIndex(string index, MimicCxrLoaderOptions options, HashSet<string>? splitFilter)
    {
        string? imageFolder = options.ImageFolder;
        foreach (var (header, record, _) in MimicCxrIndex.ReadRecords(index, null))
        {
            if (options.Shard?.HoldsStudy(record.StudyId) == false || splitFilter is not null && !splitFilter.Contains(record.Split))
                continue;
            var folder = imageFolder ?? header.ImageFolder;
            var paths = record.Images.Select(im => Path.Combine(folder, im.Path)).ToArray();
            var raw = record.Labels.Select(v => v ?? float.NaN).ToArray();
            yield return Row(
                record.SubjectId,
                record.StudyId,
                record.Split,
                paths,
                record.Images.Select(i => i.DicomId).ToArray(),
                record.Images.Select(i => i.View).ToArray(),
                record.Findings,
                record.Impression,
                record.ImpressionSentences.Concat(record.FindingsSentences).ToArray(),
                raw,
                options
            );
        }
    }

    private static MimicCxrStudy Row(
        long subject,
        long study,
        string split,
        string[] paths,
        string[] dicoms,
        string[] views,
        string findings,
        string impression,
        string[] sentences,
        float[] rawLabels,
        MimicCxrLoaderOptions options
    ) =>
        new()
        {
            SubjectId = subject,
            StudyId = study,
            Split = split,
            ImagePath = paths[0],
            DicomId = dicoms[0],
            ViewPosition = views[0],
            ImagePaths = paths,
            DicomIds = dicoms,
            ViewPositions = views,
            Findings = findings,
            Impression = impression,
            Sentences = sentences,
            Labels = ChexpertLabels.Apply(rawLabels, options.UncertainLabels, options.BlankLabel),
        };
}
