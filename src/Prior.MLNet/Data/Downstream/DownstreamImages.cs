namespace Prior.MLNet.Data.Downstream;

/// <summary>
/// Finds the image of an id in a folder tree the way the datasets ship and the way users keep converted copies:
/// <c>ID.dcm</c> (RSNA's flat folder, SIIM's study/series folders), or <c>ID.png</c>, <c>ID.jpg</c>, <c>ID.jpeg</c>
/// anywhere below the folder. The DICOM is preferred when both are there: it is the original, and its header
/// carries the geometry the annotations are drawn in.
/// </summary>
internal sealed class DownstreamImages
{
    private static readonly string[] Converted = [".png", ".jpg", ".jpeg"];
    private readonly Dictionary<string, string> _dicom = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _converted = new(StringComparer.Ordinal);

    public DownstreamImages(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: the image folder does not exist.");
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var extension = Path.GetExtension(path).ToLowerInvariant();
            if (extension == ".dcm")
                _dicom.TryAdd(Path.GetFileNameWithoutExtension(path), path);
            else if (Converted.Contains(extension))
                _converted.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }
    }

    /// <summary>The image of <paramref name="id"/>, and whether it is the DICOM; null when there is none.</summary>
    public (string Path, bool IsDicom)? Find(string id) =>
        _dicom.TryGetValue(id, out var dicom) ? (dicom, true)
        : _converted.TryGetValue(id, out var converted) ? (converted, false)
        : null;
}
