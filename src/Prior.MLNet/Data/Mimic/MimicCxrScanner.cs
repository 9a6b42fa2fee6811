using System.Globalization;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.Data.Reports;
using Prior.MLNet.IO;

namespace Prior.MLNet.Data.Mimic;

/// <summary>
/// PRIOR's build step over a MIMIC-CXR install: joins the metadata, split and label tables, keeps images of the
/// accepted views that exist, reads each study's report once to apply the section and sentence filters, and
/// records every skip. It keeps only compact, text-free records; report text is read again when rows are read.
/// </summary>
internal static class MimicCxrScanner
{
    public static List<MimicCxrStudyEntry> Scan(MimicCxrLoaderOptions options, DataLoadSummary summary) => Scan(options, summary, out _);

    /// <summary>
    /// Scans, and gives every study of the metadata table in first-seen order (<paramref name="studyOrder"/>, whatever
    /// part <see cref="MimicCxrLoaderOptions.Shard"/> selects): the order the entries of all parts merge back into.
    /// </summary>
    public static List<MimicCxrStudyEntry> Scan(MimicCxrLoaderOptions options, DataLoadSummary summary, out IReadOnlyList<long> studyOrder)
    {
        var shard = options.Shard;
        bool Counts(long? study) => shard is null || shard.Counts(study);
        var metadataPath = Require(options.MetadataPath!, "metadata table");
        var splits = options.SplitPath is null ? null : ReadSplits(Require(options.SplitPath, "split table"), summary, Counts);
        var labels = options.LabelsPath is null ? null : ReadLabels(Require(options.LabelsPath, "CheXpert label table"), summary, Counts);
        var views = options.Views.ToHashSet(StringComparer.Ordinal);

        // Group images by study in first-seen order. Per study: subject and accepted images.
        var order = new List<long>();
        var studies = new Dictionary<long, (long Subject, List<(string, string)> Images)>();
        using (var reader = CompressedText.OpenRead(metadataPath))
        {
            using var records = CsvReader.Read(reader).GetEnumerator();
            if (!records.MoveNext())
                throw new InvalidDataException($"{metadataPath}: the file is empty.");
            var header = records.Current;
            var col = CsvReader.IndexHeader(header, metadataPath, "dicom_id", "subject_id", "study_id", "ViewPosition");
            int dicomCol = col["dicom_id"],
                subjectCol = col["subject_id"],
                studyCol = col["study_id"],
                viewCol = col["ViewPosition"];
            while (records.MoveNext())
            {
                var row = records.Current;
                if (row.Error is not null || row.Fields.Length != header.Fields.Length)
                {
                    if (Counts(null))
                        summary.Skip(
                            SkipReason.MalformedRow,
                            metadataPath,
                            row.LineNumber,
                            row.Error ?? $"expected {header.Fields.Length} fields, found {row.Fields.Length}"
                        );
                    continue;
                }
                var dicom = row.Fields[dicomCol].Trim();
                if (dicom.Length == 0 || !TryId(row.Fields[subjectCol], out long subject) || !TryId(row.Fields[studyCol], out long study))
                {
                    if (Counts(null))
                        summary.Skip(
                            SkipReason.MalformedRow,
                            metadataPath,
                            row.LineNumber,
                            "dicom_id, subject_id or study_id is not valid"
                        );
                    continue;
                }
                if (!studies.TryGetValue(study, out var group))
                {
                    group = (subject, new List<(string, string)>());
                    studies.Add(study, group);
                    order.Add(study);
                }
                if (!Counts(study))
                    continue; // another part's study: neither checked nor counted here
                var view = row.Fields[viewCol].Trim();
                if (!MimicCxrViews.Known.Contains(view))
                {
                    summary.Skip(
                        SkipReason.UnknownView,
                        metadataPath,
                        row.LineNumber,
                        view.Length == 0
                            ? $"image {dicom} has a blank ViewPosition"
                            : $"image {dicom} has the unknown ViewPosition '{view}'"
                    );
                    continue;
                }
                if (!views.Contains(view))
                {
                    summary.Skip(SkipReason.ViewFiltered, metadataPath, row.LineNumber, view);
                    continue;
                }
                if (options.CheckImages)
                {
                    var image = Path.Combine(options.ImageFolder!, MimicCxrPaths.Image(subject, study, dicom, options.ImageExtension));
                    if (!File.Exists(image))
                    {
                        summary.Skip(
                            SkipReason.MissingImage,
                            image,
                            null,
                            $"listed on row {row.LineNumber} of {metadataPath} but not on disk"
                        );
                        continue;
                    }
                }
                group.Images.Add((dicom, view));
            }
        }

        // Reports: read each once, in parallel, keeping the order of the metadata table.
        var accepted = new MimicCxrStudyEntry?[order.Count];
        var splitFilter = options.SplitFilter();
        // PA before AP (the order of Views), so that ImagePath prefers the higher-quality projection.
        var viewRank = options.Views.Select((view, rank) => (view, rank)).ToDictionary(v => v.view, v => v.rank, StringComparer.Ordinal);
        int done = 0;
        Parallel.For(0, order.Count, i =>
        {
            long studyId = order[i];
            if (Counts(studyId))
                ScanStudy(i, studyId);
            int n = Interlocked.Increment(ref done);
            if (options.Progress is { } progress && (n % 5000 == 0 || n == order.Count))
                progress.Report($"MIMIC-CXR scan: {n}/{order.Count} studies");
        });
        studyOrder = order;
        return accepted.Where(e => e is not null).Select(e => e!).ToList();

        void ScanStudy(int i, long studyId)
        {
            var (subject, images) = studies[studyId];
            string split = splits?.GetValueOrDefault(studyId) ?? string.Empty;
            var reportPath = Path.Combine(options.ReportFolder!, MimicCxrPaths.Report(subject, studyId));
            if (images.Count == 0)
                summary.Skip(
                    SkipReason.NoFrontalImage,
                    reportPath,
                    null,
                    $"study {studyId} has no image of view {string.Join('/', options.Views)} on disk"
                );
            else if (!File.Exists(reportPath))
                summary.Skip(SkipReason.MissingReport, reportPath, null, $"the report of study {studyId} is missing");
            else
            {
                var report = ParsedReport.Parse(File.ReadAllText(reportPath));
                if (report is null)
                    summary.Skip(SkipReason.NoUsableSection, reportPath, null, "the report has neither FINDINGS nor IMPRESSION");
                else if (report.SentenceCount < options.MinSentences)
                    summary.Skip(
                        SkipReason.TooFewSentences,
                        reportPath,
                        null,
                        $"{report.SentenceCount} sentence(s), fewer than {options.MinSentences}"
                    );
                else if (splitFilter is not null && !splitFilter.Contains(split))
                    summary.Skip(SkipReason.SplitFiltered, reportPath, null, split); // filtered last: defects count whatever the split
                else
                {
                    var ordered = images.OrderBy(im => viewRank[im.Item2]).ToList();
                    var raw = labels?.GetValueOrDefault(studyId) ?? Enumerable.Repeat(float.NaN, ChexpertLabels.Count).ToArray();
                    accepted[i] = new MimicCxrStudyEntry(i, subject, studyId, split, ordered, raw);
                    summary.Accept();
                }
            }
        }
    }

    private static string Require(string path, string what) =>
        CompressedText.Resolve(path)
        ?? throw new FileNotFoundException($"{path}: the MIMIC-CXR {what} does not exist (also looked for it with and without .gz).", path);

    private static bool TryId(string text, out long id) =>
        long.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;

    private static Dictionary<long, string> ReadSplits(string path, DataLoadSummary summary, Func<long?, bool> counts) =>
        ReadStudyTable<string>(path, summary, counts, ["split"], (fields, col) => (fields[col["split"]].Trim(), null));

    private static Dictionary<long, float[]> ReadLabels(string path, DataLoadSummary summary, Func<long?, bool> counts) =>
        ReadStudyTable<float[]>(path, summary, counts, ChexpertLabels.Names.ToArray(), (fields, col) =>
            ChexpertLabels.TryParseRow(fields, col, out var values, out var error) ? (values, null) : (null, error)
        );

    // Reads a table keyed by study_id; rows that cannot be read are counted (when counts says so) and named, never thrown.
    private static Dictionary<long, T> ReadStudyTable<T>(
        string path,
        DataLoadSummary summary,
        Func<long?, bool> counts,
        string[] columns,
        Func<string[], Dictionary<string, int>, (T? Value, string? Error)> parse
    )
        where T : class
    {
        var table = new Dictionary<long, T>();
        using var reader = CompressedText.OpenRead(path);
        CsvRecord? header = null;
        Dictionary<string, int>? col = null;
        foreach (var row in CsvReader.Read(reader))
        {
            if (header is null)
            {
                header = row;
                col = CsvReader.IndexHeader(row, path, new[] { "study_id" }.Concat(columns).ToArray());
                continue;
            }
            if (row.Error is not null || row.Fields.Length != header.Fields.Length || !TryId(row.Fields[col!["study_id"]], out long study))
            {
                if (counts(null))
                    summary.Skip(
                        SkipReason.MalformedRow,
                        path,
                        row.LineNumber,
                        row.Error ?? "wrong number of fields or an invalid study_id"
                    );
                continue;
            }
            var (value, error) = parse(row.Fields, col);
            if (value is null)
            {
                if (counts(study))
                    summary.Skip(SkipReason.MalformedRow, path, row.LineNumber, error ?? "the row cannot be read");
                continue;
            }
            table[study] = value;
        }
        return table;
    }
}
