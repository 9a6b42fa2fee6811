using System.Globalization;
using Microsoft.ML;
using Prior.MLNet.Data.Csv;

namespace Prior.MLNet.Data.Downstream;

/// <summary>
/// <c>mlContext.Data.LoadRsnaPneumonia(…)</c> and <c>LoadSiimPneumothorax(…)</c>: the downstream datasets of PRIOR's
/// paper in the layouts people have them — the DICOMs as downloaded, or copies converted to PNG or JPEG — as
/// <see cref="IDataView"/>s of one row per image (every CSV row of an image merged), with the image's geometry. Boxes
/// and masks are in the image's native pixels: a DICOM's Rows and Columns; a converted image must keep the size the
/// annotations are drawn in (1,024 × 1,024 as both datasets publish them), or it is refused with both sizes, since a
/// downscaled copy would misplace every mask and box. Rows that cannot be read and images not on disk are skipped,
/// counted and named.
/// </summary>
public static class DownstreamCatalog
{
    /// <summary>RSNA's box table.</summary>
    public const string RsnaLabelsFile = "stage_2_train_labels.csv";

    /// <summary>RSNA's image folder (<c>PATIENTID.dcm</c>, or converted copies under the same names).</summary>
    public const string RsnaImageFolder = "stage_2_train_images";

    /// <summary>SIIM-ACR's stage-1 mask table (relative run lengths).</summary>
    public const string SiimMasksFile = "train-rle.csv";

    /// <summary>SIIM-ACR's stage-2 mask table (stage 1's train and test images; read in preference when present).</summary>
    public const string SiimStage2MasksFile = "stage_2_train.csv";

    /// <summary>SIIM-ACR's training DICOM folder (<c>STUDY/SERIES/IMAGEID.dcm</c>).</summary>
    public const string SiimImageFolder = "dicom-images-train";

    /// <summary>
    /// The width and height, in pixels, that RSNA's boxes and SIIM's masks are drawn in for images without a DICOM
    /// header to say so: every image of both datasets is published at 1,024 × 1,024.
    /// </summary>
    public const int PublishedImageSize = 1024;

    /// <summary>
    /// Loads RSNA Pneumonia Detection from <paramref name="root"/>: <c>stage_2_train_labels.csv</c> (patientId, x, y,
    /// width, height, Target; a row per box, or one row with Target 0) and the images <c>PATIENTID.dcm</c> (as
    /// downloaded), <c>.png</c> or <c>.jpg</c> under <c>stage_2_train_images/</c> (or anywhere under the root when that
    /// folder is absent). A converted image must be <paramref name="annotationImageSize"/> pixels square.
    /// </summary>
    public static IDataView LoadRsnaPneumonia(
        this DataOperationsCatalog catalog,
        string root,
        out DataLoadSummary summary,
        int annotationImageSize = PublishedImageSize
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(annotationImageSize, 1);
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
        var rows = Resolve(
            order.Select(id => byPatient[id]),
            i => i.PatientId,
            (i, path, width, height) =>
            {
                for (int b = 0; b < i.BoxCount; b++)
                {
                    var (x, y, w, h) = (i.Boxes[4 * b], i.Boxes[4 * b + 1], i.Boxes[4 * b + 2], i.Boxes[4 * b + 3]);
                    if (x < 0 || y < 0 || x + w > width || y + h > height)
                        return FormattableString.Invariant(
                            $"{i.PatientId}: box {b + 1} ({x}, {y}, {w} × {h}) lies outside the {width} × {height} image {path}"
                        );
                }
                (i.ImagePath, i.Width, i.Height) = (path, width, height);
                return null;
            },
            images,
            csv,
            annotationImageSize,
            result
        );
        summary = result;
        return catalog.LoadFromEnumerable(rows);
    }

    /// <summary>Loads RSNA Pneumonia Detection from <paramref name="root"/> (see the overload with a summary).</summary>
    public static IDataView LoadRsnaPneumonia(
        this DataOperationsCatalog catalog,
        string root,
        int annotationImageSize = PublishedImageSize
    ) => catalog.LoadRsnaPneumonia(root, out _, annotationImageSize);

    /// <summary>
    /// Loads SIIM-ACR Pneumothorax from <paramref name="root"/>: <c>stage_2_train.csv</c> when present, else
    /// <c>train-rle.csv</c> (ImageId, EncodedPixels: column-major run-length masks, "-1" for none; a row per mask), and
    /// the images <c>IMAGEID.dcm</c> (as downloaded, in <c>dicom-images-train/STUDY/SERIES/</c>), <c>.png</c> or
    /// <c>.jpg</c> anywhere under the root. The run-length form (stage 1's relative runs, or the standard 1-based starts)
    /// is told from the table's own masks and given in the relative form. A converted image must be
    /// <paramref name="annotationImageSize"/> pixels square.
    /// </summary>
    public static IDataView LoadSiimPneumothorax(
        this DataOperationsCatalog catalog,
        string root,
        out DataLoadSummary summary,
        int annotationImageSize = PublishedImageSize
    )
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentOutOfRangeException.ThrowIfLessThan(annotationImageSize, 1);
        var csv = Path.Combine(root, SiimStage2MasksFile);
        if (!File.Exists(csv))
            csv = Path.Combine(root, SiimMasksFile);
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
        // The form, from the masks themselves: standard when every mask of two runs or more reads as increasing 1-based
        // starts (a relative table almost never does); with no such mask, by the table's name (stage 2's is standard).
        var several = byImage.Values.SelectMany(i => i.EncodedPixels).Where(e => SiimRunLength.RunCount(e) >= 2).ToList();
        bool standard = several.Count > 0 ? several.All(SiimRunLength.FitsStandard) : Path.GetFileName(csv) == SiimStage2MasksFile;
        if (standard)
            foreach (var image in byImage.Values)
                image.EncodedPixels = image.EncodedPixels.Select(SiimRunLength.StandardToRelative).ToArray();
        var images = new DownstreamImages(root);
        var rows = Resolve(
            order.Select(id => byImage[id]),
            i => i.ImageId,
            (i, path, width, height) =>
            {
                foreach (var mask in i.EncodedPixels)
                    if (SiimRunLength.Extent(mask) > (long)width * height)
                        return string.Create(
                            CultureInfo.InvariantCulture,
                            $"{i.ImageId}: a mask runs to pixel {SiimRunLength.Extent(mask):N0}, past the {width} × {height} image {path}"
                        );
                (i.ImagePath, i.Width, i.Height) = (path, width, height);
                return null;
            },
            images,
            csv,
            annotationImageSize,
            result
        );
        summary = result;
        return catalog.LoadFromEnumerable(rows);
    }

    /// <summary>Loads SIIM-ACR Pneumothorax from <paramref name="root"/> (see the overload with a summary).</summary>
    public static IDataView LoadSiimPneumothorax(
        this DataOperationsCatalog catalog,
        string root,
        int annotationImageSize = PublishedImageSize
    ) => catalog.LoadSiimPneumothorax(root, out _, annotationImageSize);

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

    // Finds each row's image and reads its geometry from the header; `place` checks the annotations against it and sets
    // the row's path and size (null) or says what is wrong (the image is skipped and named). A converted image of another
    // size than the annotations' is refused outright: every image of such a copy would be wrong in the same way.
    private static List<T> Resolve<T>(
        IEnumerable<T> rows,
        Func<T, string> id,
        Func<T, string, int, int, string?> place,
        DownstreamImages images,
        string csv,
        int annotationImageSize,
        DataLoadSummary summary
    )
    {
        var found = new List<T>();
        foreach (var row in rows)
        {
            if (images.Find(id(row)) is not var (path, isDicom))
            {
                summary.Skip(SkipReason.MissingImage, csv, null, $"{id(row)}: no {id(row)}.dcm, .png or .jpg under the image folder");
                continue;
            }
            int width,
                height;
            try
            {
                (width, height) = Images.ImageGeometry.Read(path);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                var message = e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message;
                summary.Skip(SkipReason.UnreadableImage, path, null, message);
                continue;
            }
            if (!isDicom && (width != annotationImageSize || height != annotationImageSize))
                throw new InvalidDataException(
                    $"{path}: {width} × {height} pixels, but {Path.GetFileName(csv)}'s annotations are in {annotationImageSize} × "
                        + $"{annotationImageSize} pixels; a resized copy would misplace every box and mask. Read the DICOMs as "
                        + $"downloaded (put them under {Path.GetDirectoryName(csv)}), convert at the native size, or, for a set "
                        + "whose annotations are drawn at another size, say which (annotationImageSize, --annotation-size)."
                );
            if (place(row, path, width, height) is { } problem)
            {
                summary.Skip(SkipReason.MalformedRow, csv, null, problem);
                continue;
            }
            found.Add(row);
            summary.Accept();
        }
        return found;
    }
}
