namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// The transfer syntaxes chest X-ray DICOMs use, as PS3.5 section 10 and annex A name them, and whether this library
/// reads each: uncompressed little endian (implicit and explicit VR), encapsulated JPEG baseline (8-bit lossy) and JPEG
/// lossless (process 14). The rest is refused by name and UID.
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
            "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => "JPEG-LS",
            "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" => "JPEG 2000",
            "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => "HTJ2K",
            "1.2.840.10008.1.2.5" => "RLE Lossless",
            _ => "an unknown transfer syntax",
        };

    /// <summary>Whether the data set after the file meta group is in explicit VR.</summary>
    public static bool IsExplicit(string uid) => uid != ImplicitVRLittleEndian;

    /// <summary>Whether the pixel data is encapsulated (compressed fragments).</summary>
    public static bool IsEncapsulated(string uid) => uid is JpegBaseline or JpegExtended or JpegLossless or JpegLosslessFirstOrder;

    /// <summary>Whether this library decodes it.</summary>
    public static bool IsSupported(string uid) =>
        uid is ImplicitVRLittleEndian or ExplicitVRLittleEndian or JpegBaseline or JpegLossless or JpegLosslessFirstOrder;
}
