namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// What <see cref="DicomReader"/> keeps of a DICOM file: the transfer syntax, the image pixel module (PS3.3 C.7.6.3,
/// palette colour lookup tables included), the modality and VOI LUT modules (C.11.1, C.11.2) and the pixel data, native
/// (in the machine's little-endian byte order, whatever the file's) or as the compressed fragments and their frames.
/// </summary>
internal sealed class DicomDataset
{
    public string TransferSyntax { get; set; } = DicomTransferSyntax.ImplicitVRLittleEndian;
    public int Rows { get; set; }
    public int Columns { get; set; }
    public int SamplesPerPixel { get; set; } = 1;
    public int PlanarConfiguration { get; set; }
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

    /// <summary>
    /// The red, green and blue palette colour lookup tables (PS3.3 C.7.6.3.1.5), each its descriptor (entries, first
    /// stored value mapped, bits) and data; null where the file has none.
    /// </summary>
    public (int Entries, int FirstMapped, int Bits, ushort[]? Data)?[] Palette { get; } = new (int, int, int, ushort[]?)?[3];

    /// <summary>Whether a palette table came segmented (C.7.9), which is not read.</summary>
    public bool SegmentedPalette { get; set; }

    /// <summary>Native pixel data (uncompressed, 16- and 32-bit words little endian), or null when encapsulated.</summary>
    public byte[]? NativePixels { get; set; }

    /// <summary>The encapsulated pixel data's fragments (the Basic Offset Table item left out), or null when native.</summary>
    public List<byte[]>? Fragments { get; set; }

    /// <summary>
    /// The Basic Offset Table: each frame's first fragment as a byte offset from the first fragment's item tag; empty
    /// when the file leaves it empty.
    /// </summary>
    public uint[] FrameOffsets { get; set; } = [];

    /// <summary>The byte offset of each fragment's item tag from the first fragment's, to match the offset table.</summary>
    public List<long> FragmentOffsets { get; } = [];

    /// <summary>Whether the file had a Pixel Data element.</summary>
    public bool HasPixelData => NativePixels is not null || Fragments is not null;

    /// <summary>Whether the pixel data is a colour picture (RGB, YBR, palette) rather than grayscale.</summary>
    public bool IsColour => PhotometricInterpretation is not ("MONOCHROME1" or "MONOCHROME2");
}
