using Microsoft.ML.Data;

namespace Prior.MLNet.Data.Downstream;

/// <summary>One image of SIIM-ACR Pneumothorax (all rows of its ImageId merged): its run-length masks.</summary>
public sealed class SiimPneumothoraxImage
{
    /// <summary>The ImageId (the DICOM SOP instance UID in SIIM).</summary>
    public string ImageId { get; set; } = string.Empty;

    /// <summary>The image file: the DICOM as downloaded, or a PNG or JPEG copy of the same size.</summary>
    public string ImagePath { get; set; } = string.Empty;

    /// <summary>The image's width in pixels (a DICOM's Columns), the pixels the annotations are in.</summary>
    public int Width { get; set; }

    /// <summary>The image's height in pixels (a DICOM's Rows).</summary>
    public int Height { get; set; }

    /// <summary>True when the image has a pneumothorax mask.</summary>
    public bool Pneumothorax { get; set; }

    /// <summary>
    /// The image's run-length masks in the form of SIIM's <c>train-rle.csv</c> (column-major; pairs of the gap since the
    /// previous run's end and the run's length; stage 2's standard form is rewritten to it), their union is the mask;
    /// none without pneumothorax. They decode at <see cref="Width"/> × <see cref="Height"/>.
    /// </summary>
    [VectorType]
    public string[] EncodedPixels { get; set; } = [];
}
