using Microsoft.ML.Data;

namespace Prior.MLNet.Data.Downstream;

/// <summary>One image of RSNA Pneumonia Detection (all rows of its patientId merged): its boxes of lung opacity.</summary>
public sealed class RsnaPneumoniaImage
{
    /// <summary>The patientId (one image per patient in RSNA).</summary>
    public string PatientId { get; set; } = string.Empty;

    /// <summary>The image file: the DICOM as downloaded, or a PNG or JPEG copy of the same size.</summary>
    public string ImagePath { get; set; } = string.Empty;

    /// <summary>The image's width in pixels (a DICOM's Columns), the pixels the annotations are in.</summary>
    public int Width { get; set; }

    /// <summary>The image's height in pixels (a DICOM's Rows).</summary>
    public int Height { get; set; }

    /// <summary>True when the image has at least one box of pneumonia-like lung opacity (RSNA's Target 1).</summary>
    public bool Target { get; set; }

    /// <summary>The boxes, four numbers each in the image's pixels: x (left), y (top), width, height; empty without.</summary>
    [VectorType]
    public float[] Boxes { get; set; } = [];

    /// <summary>The number of boxes (Boxes.Length / 4).</summary>
    public int BoxCount { get; set; }
}
