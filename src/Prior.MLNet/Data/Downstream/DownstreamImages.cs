namespace Prior.MLNet.Data.Downstream;

/// <summary>
/// Finds the image of an id in a folder tree the way users keep converted datasets: <c>ID.png</c>, <c>ID.jpg</c> or
/// <c>ID.jpeg</c> anywhere below the folder (flat, or nested as Kaggle's study/series folders). DICOM is not read
/// here (no DICOM reader is available to this library): convert to PNG or JPEG first.
/// </summary>
internal sealed class DownstreamImages
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];
    private readonly Dictionary<string, string> _byId;

    public DownstreamImages(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: the image folder does not exist.");
        _byId = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var extension = Path.GetExtension(path).ToLowerInvariant();
            if (Extensions.Contains(extension))
                _byId.TryAdd(Path.GetFileNameWithoutExtension(path), path);
        }
        DicomOnly = _byId.Count == 0 && Directory.EnumerateFiles(folder, "*.dcm", SearchOption.AllDirectories).Any();
    }

    /// <summary>True when the folder holds DICOM files and no PNG or JPEG: the caller says to convert them.</summary>
    public bool DicomOnly { get; }

    public string? Find(string id) => _byId.GetValueOrDefault(id);
}
