namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// The transfer syntaxes of DICOM images, as PS3.5 section 10 and annex A name them, and whether this library reads
/// each: uncompressed (implicit and explicit VR little endian, explicit VR big endian, deflated), RLE Lossless, JPEG
/// baseline and extended (8 and 12 bits), JPEG lossless (process 14), JPEG-LS (lossless and near-lossless) and JPEG 2000
/// (lossless and lossy, through OpenJPEG). The rest (HTJ2K, MPEG and other video) is refused by name and UID.
/// </summary>
internal static class DicomTransferSyntax
{
    public const string ImplicitVRLittleEndian = "1.2.840.10008.1.2";
    public const string ExplicitVRLittleEndian = "1.2.840.10008.1.2.1";
    public const string ExplicitVRBigEndian = "1.2.840.10008.1.2.2";
    public const string DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99";
    public const string JpegBaseline = "1.2.840.10008.1.2.4.50";
    public const string JpegExtended = "1.2.840.10008.1.2.4.51";
    public const string JpegLossless = "1.2.840.10008.1.2.4.57";
    public const string JpegLosslessFirstOrder = "1.2.840.10008.1.2.4.70";
    public const string JpegLsLossless = "1.2.840.10008.1.2.4.80";
    public const string JpegLsNearLossless = "1.2.840.10008.1.2.4.81";
    public const string Jpeg2000Lossless = "1.2.840.10008.1.2.4.90";
    public const string Jpeg2000 = "1.2.840.10008.1.2.4.91";
    public const string RleLossless = "1.2.840.10008.1.2.5";

    /// <summary>What <see cref="IsSupported"/> accepts, in words, for messages.</summary>
    public const string SupportedList =
        "implicit and explicit VR little endian, explicit VR big endian, deflated explicit VR, RLE lossless, JPEG baseline and "
        + "extended (8 and 12 bits), JPEG lossless, JPEG-LS and JPEG 2000";

    /// <summary>A readable name for <paramref name="uid"/>, for messages.</summary>
    public static string Name(string uid) =>
        uid switch
        {
            ImplicitVRLittleEndian => "Implicit VR Little Endian",
            ExplicitVRLittleEndian => "Explicit VR Little Endian",
            ExplicitVRBigEndian => "Explicit VR Big Endian",
            DeflatedExplicitVRLittleEndian => "Deflated Explicit VR Little Endian",
            JpegBaseline => "JPEG Baseline (Process 1)",
            JpegExtended => "JPEG Extended (Process 2 & 4)",
            JpegLossless => "JPEG Lossless, Non-Hierarchical (Process 14)",
            JpegLosslessFirstOrder => "JPEG Lossless, First-Order Prediction (Process 14, Selection Value 1)",
            JpegLsLossless => "JPEG-LS Lossless",
            JpegLsNearLossless => "JPEG-LS Near-Lossless",
            Jpeg2000Lossless => "JPEG 2000 (Lossless Only)",
            Jpeg2000 => "JPEG 2000",
            "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => "HTJ2K",
            RleLossless => "RLE Lossless",
            _ when uid.StartsWith("1.2.840.10008.1.2.4.1", StringComparison.Ordinal) => "MPEG video",
            _ => "an unknown transfer syntax",
        };

    /// <summary>Whether the data set after the file meta group is in explicit VR.</summary>
    public static bool IsExplicit(string uid) => uid != ImplicitVRLittleEndian;

    /// <summary>Whether the data set's numbers are big endian.</summary>
    public static bool IsBigEndian(string uid) => uid == ExplicitVRBigEndian;

    /// <summary>Whether the pixel data is encapsulated (compressed fragments).</summary>
    public static bool IsEncapsulated(string uid) =>
        uid is not (ImplicitVRLittleEndian or ExplicitVRLittleEndian or ExplicitVRBigEndian or DeflatedExplicitVRLittleEndian);

    /// <summary>Whether this library decodes it (JPEG 2000 where OpenJPEG is installed; <see cref="OpenJpeg"/>).</summary>
    public static bool IsSupported(string uid) =>
        uid
            is ImplicitVRLittleEndian
                or ExplicitVRLittleEndian
                or ExplicitVRBigEndian
                or DeflatedExplicitVRLittleEndian
                or JpegBaseline
                or JpegExtended
                or JpegLossless
                or JpegLosslessFirstOrder
                or JpegLsLossless
                or JpegLsNearLossless
                or Jpeg2000Lossless
                or Jpeg2000
                or RleLossless;
}
