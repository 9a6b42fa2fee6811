using System.Globalization;
using Microsoft.ML;
using Prior.MLNet.Data.Csv;

namespace Prior.MLNet.Data.Downstream;

/// <summary>
/// <c>mlContext.Data.LoadRsnaPneumonia(…)</c> and <c>LoadSiimPneumothorax(…)</c>: the downstream datasets of PRIOR's
/// paper in the layouts people have them, as <see cref="IDataView"/>s of one row per image (every CSV row of an image
/// merged). Rows that cannot be read and images not on disk are skipped, counted and named.
/// </summary>
public static class DownstreamCatalog
{
    /// <summary>RSNA's box table.</summary>
    public const string RsnaLabelsFile = "stage_2_train_labels.csv";

    /// <summary>RSNA's image folder (its DICOMs converted to PNG or JPEG under the same names).</summary>
    public const string RsnaImageFolder = "stage_2_train_images";

    /// <summary>SIIM-ACR's mask table.</summary>
    public const string SiimMasksFile = "train-rle.csv";

    /// <summary>
    /// Loads RSNA Pneumonia Detection from <paramref name="root"/>: <c>stage_2_train_labels.csv</c> (patientId, x, y,
    /// width, height, Target; a row per box, or one row with Target 0) and the images <c>PATIENTID.png</c> or
    /// <c>.jpg</c> under <c>stage_2_train_images/</c> (or anywhere under the root when that folder is absent).
    /// </summary>
    public static IDataView LoadRsnaPneumonia(this DataOperationsCatalog catalog, string root, out DataLoadSummary summary)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var csv = Path.Combine(root, RsnaLabelsFile);
        var result = new DataLoadSummary();
        var byPatient = new Dictionary<string, RsnaPneumoniaImage>(StringComparer.Ordinal);
        var order = new List<string>();
        ReadCsv(csv, ["patientId", "x", "y", "width", "height", "Target"], result, (columns, record) =>
        {
            string Field(string name) => record.Fields[columns[name]].Trim();
            var id = Field("patientId");
            if (id.Length == 0)
                return "the patientId is blank";
            if (Field("Target") is not ("0" or "1"))
                return $"Target must be 0 or 1, not '{Field("Target")}'";
            bool target = Field("Target") == "1";
            float[] box = [];
            if (target)
            {
                var values = new[] { "x", "y", "width", "height" }
                    .Select(n => float.TryParse(Field(n), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : float.NaN)
                    .ToArray();
                if (values.Any(v => !float.IsFinite(v)) || values[2] <= 0 || values[3] <= 0)
                    return $"a Target 1 row needs a box of finite x, y and positive width, height; got '{Field("x")}', '{Field("y")}', "
                        + $"'{Field("width")}', '{Field("height")}'";
                box = values;
            }
            if (!byPatient.TryGetValue(id, out var image))
            {
                byPatient[id] = image = new RsnaPneumoniaImage { PatientId = id };
                order.Add(id);
            }
            image.Target |= target;
            image.Boxes = [.. image.Boxes, .. box];
            image.BoxCount = image.Boxes.Length / 4;
            return null;
        });
        var images = new DownstreamImages(
            Directory.Exists(Path.Combine(root, RsnaImageFolder)) ? Path.Combine(root, RsnaImageFolder) : root
        );
        var rows = Resolve(order.Select(id => byPatient[id]), i => i.PatientId, (i, p) => i.ImagePath = p, images, csv, result);
        summary = result;
        return catalog.LoadFromEnumerable(rows);
    }

    /// <summary>Loads RSNA Pneumonia Detection from <paramref name="root"/> (see the overload with a summary).</summary>
    public static IDataView LoadRsnaPneumonia(this DataOperationsCatalog catalog, string root) => catalog.LoadRsnaPneumonia(root, out _);

    /// <summary>
    /// Loads SIIM-ACR Pneumothorax from <paramref name="root"/>: <c>train-rle.csv</c> (ImageId, EncodedPixels: SIIM's
    /// column-major run-length masks, "-1" for none; a row per mask) and the images <c>IMAGEID.png</c> or <c>.jpg</c>
    /// anywhere under the root (flat, or in Kaggle's study/series folders).
    /// </summary>
    public static IDataView LoadSiimPneumothorax(this DataOperationsCatalog catalog, string root, out DataLoadSummary summary)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var csv = Path.Combine(root, SiimMasksFile);
        var result = new DataLoadSummary();
        var byImage = new Dictionary<string, SiimPneumothoraxImage>(StringComparer.Ordinal);
        var order = new List<string>();
        ReadCsv(csv, ["ImageId", "EncodedPixels"], result, (columns, record) =>
        {
            var id = record.Fields[columns["ImageId"]].Trim();
            var encoded = record.Fields[columns["EncodedPixels"]].Trim();
            if (id.Length == 0)
                return "the ImageId is blank";
            if (SiimRunLength.Check(encoded) is { } problem)
                return problem;
            if (!byImage.TryGetValue(id, out var image))
            {
                byImage[id] = image = new SiimPneumothoraxImage { ImageId = id };
                order.Add(id);
            }
            if (encoded is not (SiimRunLength.Empty or ""))
            {
                image.EncodedPixels = [.. image.EncodedPixels, encoded];
                image.Pneumothorax = true;
            }
            return null;
        });
        var images = new DownstreamImages(root);
        var rows = Resolve(order.Select(id => byImage[id]), i => i.ImageId, (i, p) => i.ImagePath = p, images, csv, result);
        summary = result;
        return catalog.LoadFromEnumerable(rows);
    }

    /// <summary>Loads SIIM-ACR Pneumothorax from <paramref name="root"/> (see the overload with a summary).</summary>
    public static IDataView LoadSiimPneumothorax(this DataOperationsCatalog catalog, string root) =>
        catalog.LoadSiimPneumothorax(root, out _);

    // Reads every record; `accept` returns null for a good row or what is wrong with it (the row is skipped and named).
    // Header names are trimmed: SIIM's own header is "ImageId, EncodedPixels".
    private static void ReadCsv(
        string csv,
        string[] required,
        DataLoadSummary summary,
        Func<Dictionary<string, int>, CsvRecord, string?> accept
    )
    {
        if (!File.Exists(csv))
            throw new FileNotFoundException($"{csv}: the table does not exist.", csv);
        using var reader = new StreamReader(csv);
        using var records = CsvReader.Read(reader).GetEnumerator();
        if (!records.MoveNext())
            throw new InvalidDataException($"{csv}: the file is empty; expected a header with {string.Join(", ", required)}.");
        var header = records.Current with { Fields = records.Current.Fields.Select(f => f.Trim()).ToArray() };
        var columns = CsvReader.IndexHeader(header, csv, required);
        while (records.MoveNext())
        {
            var record = records.Current;
            string? problem = record.Error
                ?? (
                    record.Fields.Length < header.Fields.Length
                        ? $"{record.Fields.Length} fields, the header has {header.Fields.Length}"
                        : null
                );
            problem ??= accept(columns, record);
            if (problem is not null)
                summary.Skip(SkipReason.MalformedRow, csv, record.LineNumber, problem);
        }
    }

    private static List<T> Resolve<T>(
        IEnumerable<T> rows,
        Func<T, string> id,
        Action<T, string> setPath,
        DownstreamImages images,
        string csv,
        DataLoadSummary summary
    )
    {
        var found = new List<T>();
        foreach (var row in rows)
        {
            if (images.Find(id(row)) is { } path)
            {
                setPath(row, path);
                found.Add(row);
                summary.Accept();
            }
            else
            {
                summary.Skip(
                    SkipReason.MissingImage,
                    csv,
                    null,
                    images.DicomOnly
                        ? $"{id(row)}: only DICOM files are there; convert them to PNG or JPEG under the same names (no DICOM reader is "
                            + $"available here)"
                        : $"{id(row)}: no {id(row)}.png or .jpg under the image folder"
                );
            }
        }
        return found;
    }
}
