using System.Globalization;
using Prior.MLNet.Data.Csv;
using Prior.MLNet.IO;

namespace Prior.MLNet.Data.CheXpert;

/// <summary>Reads and validates the rows of a CheXpert CSV; shared by the loader and the 5x200 builder.</summary>
internal static class CheXpertCsv
{
    /// <summary>A valid row: the CSV line, its fields in <see cref="CheXpertColumns.Header"/> order, the parsed image and its raw labels
    /// (NaN = blank).</summary>
    public sealed record Row(long Line, string[] Fields, CheXpertImage Image, float[] RawLabels);

    /// <summary>Streams the valid rows of <paramref name="csvPath"/>; invalid ones go to <paramref name="summary"/> (when given).</summary>
    public static IEnumerable<Row> Read(string root, string csvPath, CheXpertViews views, bool checkImages, DataLoadSummary? summary)
    {
        if (CheXpertAuthorsSubset.IsSelection(csvPath))
        {
            // The authors' JSON selection: frontal images only, so the view filter keeps all or none of it.
            if (views == CheXpertViews.Lateral)
                yield break;
            foreach (var row in CheXpertAuthorsSubset.Rows(root, csvPath, checkImages, summary))
                yield return row;
            yield break;
        }
        using var reader = CompressedText.OpenRead(csvPath);
        CsvRecord? header = null;
        Dictionary<string, int>? col = null;
        foreach (var record in CsvReader.Read(reader))
        {
            if (header is null)
            {
                header = record;
                col = CsvReader.IndexHeader(record, csvPath, CheXpertColumns.Header.ToArray());
                continue;
            }
            var f = record.Fields;
            if (record.Error is not null || f.Length != header.Fields.Length)
            {
                summary?.Skip(
                    SkipReason.MalformedRow,
                    csvPath,
                    record.LineNumber,
                    record.Error ?? $"expected {header.Fields.Length} fields, found {f.Length}"
                );
                continue;
            }
            bool ok = ChexpertLabels.TryParseRow(f, col!, out var labels, out var labelError);
            var path = f[col!["Path"]].Trim();
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (!ok || parts.Length < 4)
            {
                summary?.Skip(
                    SkipReason.MalformedRow,
                    csvPath,
                    record.LineNumber,
                    labelError ?? $"Path '{path}' is not dataset/split/patient/study/view"
                );
                continue;
            }
            var view = f[col["Frontal/Lateral"]].Trim();
            if (view is not ("Frontal" or "Lateral"))
            {
                summary?.Skip(SkipReason.UnknownView, csvPath, record.LineNumber, $"Frontal/Lateral is '{view}'");
                continue;
            }
            if ((views == CheXpertViews.Frontal && view != "Frontal") || (views == CheXpertViews.Lateral && view != "Lateral"))
            {
                summary?.Skip(SkipReason.ViewFiltered, csvPath, record.LineNumber, view);
                continue;
            }
            // Path starts with the dataset folder's name (CheXpert-v1.0-small/...); the rest is under Root.
            var image = System.IO.Path.Combine(root, System.IO.Path.Combine(parts[1..]));
            if (checkImages && !File.Exists(image))
            {
                summary?.Skip(SkipReason.MissingImage, image, null, $"listed on row {record.LineNumber} of {csvPath} but not on disk");
                continue;
            }
            var age = float.TryParse(f[col["Age"]], NumberStyles.Float, CultureInfo.InvariantCulture, out var a) ? a : float.NaN;
            var canonical = CheXpertColumns.Header.Select(h => f[col[h]]).ToArray();
            yield return new Row(
                record.LineNumber,
                canonical,
                new CheXpertImage
                {
                    Path = path,
                    ImagePath = image,
                    Patient = parts[^3],
                    Study = parts[^2],
                    Sex = f[col["Sex"]].Trim(),
                    Age = age,
                    View = view,
                    Projection = f[col["AP/PA"]].Trim(),
                },
                labels
            );
        }
        if (header is null)
            throw new InvalidDataException($"{csvPath}: the file is empty.");
    }
}
