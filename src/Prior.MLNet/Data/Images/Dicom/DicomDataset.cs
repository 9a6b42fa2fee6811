namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// What <see cref="DicomReader"/> keeps of a DICOM file: the transfer syntax, the image pixel module (PS3.3 C.7.6.3),
/// the modality and VOI LUT modules (C.11.1, C.11.2) and the pixel data, native or as the frame's compressed bytes.
/// </summary>
internal sealed class DicomDataset
{
    public string TransferSyntax { get; set; } = DicomTransferSyntax.ImplicitVRLittleEndian;
    public int Rows { get; set; }
    public int Columns { get; set; }
    public int SamplesPerPixel { get; set; } = 1;
    public int BitsAllocated { get; set; }
    public int BitsStored { get; set; }
    public int HighBit { get; set; } = -1;
    public int PixelRepresentation { get; set; }
    public string PhotometricInterpretation { get; set; } = "";
    public int NumberOfFrames { get; set; } = 1;
    public double RescaleSlope { get; set; } = 1;
    public double RescaleIntercept { get; set; }
    public double[] WindowCenters { get; set; } = [];
    public double[] WindowWidths { get; set; } = [];
    public string VoiLutFunction { get; set; } = "LINEAR";

    /// <summary>The first VOI LUT of the VOI LUT Sequence: entries, first stored value mapped, bits, data.</summary>
    public (int Entries, int FirstMapped, int Bits, ushort[] Data)? VoiLut { get; set; }

    /// <summary>Native pixel data (uncompressed), or null when encapsulated.</summary>
    public byte[]? NativePixels { get; set; }

    /// <summary>The encapsulated frame (its fragments joined), or null when native.</summary>
    public byte[]? EncapsulatedFrame { get; set; }

    /// <summary>Whether the file had a Pixel Data element.</summary>
    public bool HasPixelData => NativePixels is not null || EncapsulatedFrame is not null;
}
