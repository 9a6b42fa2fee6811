using Microsoft.ML.Data;

namespace Prior.MLNet.Data.Downstream;

/// <summary>One image of SIIM-ACR Pneumothorax (all rows of its ImageId merged): its run-length masks.</summary>
public sealed class SiimPneumothoraxImage
{
    /// <summary>The ImageId (the DICOM SOP instance UID in SIIM).</summary>
    public string ImageId { get; set; } = string.Empty;

    /// <summary>The image file (PNG or JPEG).</summary>
    public string ImagePath { get; set; } = string.Empty;

    /// <summary>True when the image has a pneumothorax mask.</summary>
    public bool Pneumothorax { get; set; }

    /// <summary>
    /// The image's run-length masks as SIIM writes them (<see cref="SiimRunLength"/>; their union is the mask), none
    /// without pneumothorax. Decode with <see cref="SiimRunLength.Decode"/> at the image's size.
    /// </summary>
    [VectorType]
    public string[] EncodedPixels { get; set; } = [];
}
