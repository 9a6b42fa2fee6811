using Microsoft.ML.Data;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Trainers;

/// <summary>The width and height of an image input, for outputs in the image's own pixels.</summary>
internal static class ImageDimensions
{
    /// <summary>
    /// A path's from its header (no decode; a DICOM's Rows and Columns), an MLImage's own, and
    /// <paramref name="networkSize"/> for preprocessed
    /// pixels (already at the network's size).
    /// </summary>
    public static (int Width, int Height) Of(object input, int networkSize) =>
        input switch
        {
            string path => Data.Images.ImageGeometry.Read(path),
            MLImage image => (image.Width, image.Height),
            _ => (networkSize, networkSize),
        };
}
