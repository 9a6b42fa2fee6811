using System.CommandLine;
using Prior.MLNet.Data.Downstream;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>--annotation-size</c> of <c>prior detect</c> and <c>prior segment</c>: the pixels RSNA's boxes and SIIM's masks are
/// drawn in for images that are not DICOM (a DICOM's own Rows and Columns always win).
/// </summary>
internal static class AnnotationSize
{
    public static Option<int> Create() =>
        new("--annotation-size")
        {
            Description =
                $"The width and height in pixels that the annotations are drawn in, for PNG or JPEG copies (default "
                + $"{DownstreamCatalog.PublishedImageSize}, as both datasets publish every image); a copy of another size is refused, "
                + "since its boxes and masks would be misplaced. DICOMs say their own size.",
            DefaultValueFactory = _ => DownstreamCatalog.PublishedImageSize,
        };
}
