using System.Globalization;

namespace Prior.MLNet.Data.Mimic;

/// <summary>
/// Relative paths of the MIMIC-CXR layouts: images <c>pXX/pSSSSSSSS/sTTTTTTTT/&lt;dicom_id&gt;.jpg</c> under
/// MIMIC-CXR-JPG's <c>files/</c> (<c>.dcm</c> under MIMIC-CXR's own <c>files/</c>, the DICOM release), reports
/// <c>pXX/pSSSSSSSS/sTTTTTTTT.txt</c> under MIMIC-CXR's <c>files/</c>,
/// where XX is the first two digits of the subject id.
/// </summary>
internal static class MimicCxrPaths
{
    /// <summary>The file names of the three MIMIC-CXR-JPG tables (each also accepted without <c>.gz</c>).</summary>
    public const string MetadataFile = "mimic-cxr-2.0.0-metadata.csv.gz",
        SplitFile = "mimic-cxr-2.0.0-split.csv.gz",
        ChexpertFile = "mimic-cxr-2.0.0-chexpert.csv.gz";

    /// <summary>The patient group folder, e.g. <c>p10</c> for subject 10000032.</summary>
    public static string GroupFolder(long subjectId)
    {
        var digits = subjectId.ToString(CultureInfo.InvariantCulture);
        return "p" + (digits.Length >= 2 ? digits[..2] : digits);
    }

    /// <summary>The extension of MIMIC-CXR-JPG's images.</summary>
    public const string JpegExtension = ".jpg";

    /// <summary>The extension of MIMIC-CXR's DICOM images.</summary>
    public const string DicomExtension = ".dcm";

    /// <summary>The image path relative to the release's <c>files/</c>, with the release's <paramref name="extension"/>.</summary>
    public static string Image(long subjectId, long studyId, string dicomId, string extension = JpegExtension) =>
        Path.Combine(
            GroupFolder(subjectId),
            FormattableString.Invariant($"p{subjectId}"),
            FormattableString.Invariant($"s{studyId}"),
            dicomId + extension
        );

    /// <summary>The report path relative to MIMIC-CXR's <c>files/</c>.</summary>
    public static string Report(long subjectId, long studyId) =>
        Path.Combine(GroupFolder(subjectId), FormattableString.Invariant($"p{subjectId}"), FormattableString.Invariant($"s{studyId}.txt"));
}
