namespace Prior.MLNet.Data.Mimic;

/// <summary>
/// Where a MIMIC-CXR install is and which studies to keep. Either set <see cref="IndexPath"/> (a file written by
/// <see cref="MimicCxrIndex"/>) or the folders and tables; <see cref="FromRoot"/> fills them for the layouts that
/// PhysioNet's downloads (and <c>prior synth</c>) produce: MIMIC-CXR-JPG's JPEGs, or MIMIC-CXR's own DICOMs. A record, so
/// that what <see cref="FromRoot"/> found is adjusted with <c>with</c> and no field is lost on the way.
/// </summary>
public sealed record MimicCxrLoaderOptions
{
    /// <summary>A pretraining index written by <see cref="MimicCxrIndex.Write"/>; when set, the folders are not read.</summary>
    public string? IndexPath { get; init; }

    /// <summary>
    /// The image release's <c>files/</c> folder (holding <c>p10</c> … <c>p19</c>): MIMIC-CXR-JPG's, or MIMIC-CXR's
    /// DICOM release's with <see cref="ImageExtension"/> <c>.dcm</c>.
    /// </summary>
    public string? ImageFolder { get; init; }

    /// <summary>
    /// The images' extension: <c>.jpg</c> (default; MIMIC-CXR-JPG) or <c>.dcm</c> (MIMIC-CXR's DICOM release, read
    /// natively, same <c>pXX/pSSSSSSSS/sTTTTTTTT/DICOM_ID</c> names). <see cref="FromRoot"/> sets it from the release
    /// it finds.
    /// </summary>
    public string ImageExtension { get; init; } = MimicCxrPaths.JpegExtension;

    /// <summary>MIMIC-CXR's report <c>files/</c> folder (holding <c>p10</c> … <c>p19</c> with <c>sNNNNNNNN.txt</c>).</summary>
    public string? ReportFolder { get; init; }

    /// <summary><c>mimic-cxr-2.0.0-metadata.csv(.gz)</c>.</summary>
    public string? MetadataPath { get; init; }

    /// <summary><c>mimic-cxr-2.0.0-split.csv(.gz)</c>; optional (split is then empty).</summary>
    public string? SplitPath { get; init; }

    /// <summary><c>mimic-cxr-2.0.0-chexpert.csv(.gz)</c>; optional (labels are then NaN).</summary>
    public string? LabelsPath { get; init; }

    /// <summary>View positions to keep. Default PA and AP.</summary>
    public IReadOnlyList<string> Views { get; init; } = Defaults.MimicCxrViews;

    /// <summary>Minimum number of sentences in FINDINGS plus IMPRESSION, at least 1. Default 4.</summary>
    public int MinSentences { get; init; } = Defaults.MinReportSentences;

    /// <summary>Splits to keep (<c>train</c>, <c>validate</c>, <c>test</c>); null or empty keeps all. Default all.</summary>
    public IReadOnlyList<string>? Splits { get; init; }

    /// <summary>What uncertain (-1) labels become. Default <see cref="UncertaintyPolicy.Keep"/> (the raw value).</summary>
    public UncertaintyPolicy UncertainLabels { get; init; } = UncertaintyPolicy.Keep;

    /// <summary>What blank (not mentioned) labels become. Default NaN (the raw value).</summary>
    public float BlankLabel { get; init; } = float.NaN;

    /// <summary>Whether every image file is checked to exist (a stat per image). Default true.</summary>
    public bool CheckImages { get; init; } = true;

    /// <summary>
    /// Only this part of the studies (<see cref="DataShard.HoldsStudy"/>), for splitting the build step or a load across
    /// machines (<c>prior mimic-index --shard K/N</c>): the others are neither read nor counted, and table rows that name no
    /// study are counted by part 0 only, so the parts' counts add up to the whole's. Null (default) takes every study.
    /// </summary>
    public DataShard? Shard { get; init; }

    /// <summary>Reports scan progress (studies read so far).</summary>
    public IProgress<string>? Progress { get; init; }

    /// <summary>
    /// Options for a root that holds <c>mimic-cxr-jpg/2.0.0/</c> (or <c>mimic-cxr-jpg/</c>) with <c>files/</c> and the
    /// three tables, and <c>mimic-cxr-reports/files/</c> (or <c>mimic-cxr/2.0.0/files/</c>). Without the JPG release,
    /// MIMIC-CXR's DICOM release <c>mimic-cxr/2.0.0/files/pXX/pSSSSSSSS/sTTTTTTTT/DICOM_ID.dcm</c> is read instead, its
    /// reports beside the studies, with the JPG release's tables (<c>mimic-cxr-2.0.0-metadata.csv.gz</c> and the others)
    /// put in <c>mimic-cxr/2.0.0/</c> or the root: the DICOM release has no view positions of its own. A file is taken
    /// as an index.
    /// </summary>
    public static MimicCxrLoaderOptions FromRoot(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (File.Exists(root))
            return new MimicCxrLoaderOptions { IndexPath = root };
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"{root}: no such folder or index file.");
        string? jpg = FirstExisting(root, "mimic-cxr-jpg/2.0.0", "mimic-cxr-jpg", "physionet.org/files/mimic-cxr-jpg/2.0.0");
        string? dicom = FirstExisting(root, "mimic-cxr/2.0.0", "physionet.org/files/mimic-cxr/2.0.0");
        if (jpg is null && dicom is not null && Directory.Exists(Path.Combine(dicom, "files")))
        {
            // The DICOM release: images and reports share files/; the tables come from the JPG release.
            string tables = new[] { dicom, root }.FirstOrDefault(f =>
                IO.CompressedText.Resolve(Path.Combine(f, MimicCxrPaths.MetadataFile)) is not null
            )
                ?? throw new FileNotFoundException(
                    $"{root}: MIMIC-CXR's DICOM release is here ({dicom}) but not {MimicCxrPaths.MetadataFile}, which gives each "
                        + "image's view position; download it from MIMIC-CXR-JPG and put it in that folder or in the root."
                );
            return new MimicCxrLoaderOptions
            {
                ImageFolder = Path.Combine(dicom, "files"),
                ImageExtension = MimicCxrPaths.DicomExtension,
                ReportFolder = FirstExisting(root, "mimic-cxr-reports/files") ?? Path.Combine(dicom, "files"),
                MetadataPath = Path.Combine(tables, MimicCxrPaths.MetadataFile),
                SplitPath = Path.Combine(tables, MimicCxrPaths.SplitFile),
                LabelsPath = Path.Combine(tables, MimicCxrPaths.ChexpertFile),
            };
        }
        if (jpg is null)
            throw new DirectoryNotFoundException(
                $"{root}: no mimic-cxr-jpg/2.0.0/ (or mimic-cxr-jpg/) folder inside, nor MIMIC-CXR's DICOM release mimic-cxr/2.0.0/files/."
            );
        string reports = FirstExisting(
            root,
            "mimic-cxr-reports/files",
            "mimic-cxr/2.0.0/files",
            "physionet.org/files/mimic-cxr/2.0.0/files",
            "files"
        ) ?? throw new DirectoryNotFoundException($"{root}: no mimic-cxr-reports/files/ (or mimic-cxr/2.0.0/files/) folder inside.");
        return new MimicCxrLoaderOptions
        {
            ImageFolder = Path.Combine(jpg, "files"),
            ReportFolder = reports,
            MetadataPath = Path.Combine(jpg, MimicCxrPaths.MetadataFile),
            SplitPath = Path.Combine(jpg, MimicCxrPaths.SplitFile),
            LabelsPath = Path.Combine(jpg, MimicCxrPaths.ChexpertFile),
        };
    }

    private static string? FirstExisting(string root, params string[] candidates) =>
        candidates.Select(c => Path.Combine(root, c)).FirstOrDefault(Directory.Exists);

    /// <summary>The splits to keep as a set, or null to keep all.</summary>
    internal HashSet<string>? SplitFilter() => Splits is { Count: > 0 } splits ? splits.ToHashSet(StringComparer.Ordinal) : null;

    internal void Validate()
    {
        if (MinSentences < 1)
            throw new ArgumentOutOfRangeException(nameof(MinSentences), MinSentences, "MinSentences must be at least 1.");
        if (ImageExtension is not (MimicCxrPaths.JpegExtension or MimicCxrPaths.DicomExtension or ".png"))
            throw new ArgumentException(
                $"ImageExtension '{ImageExtension}' is not one MIMIC-CXR's images have: .jpg (MIMIC-CXR-JPG), .dcm (the DICOM release) or "
                    + ".png (a converted copy).",
                nameof(ImageExtension)
            );
        if (Views.Count == 0)
            throw new ArgumentException("Views must name at least one view position (e.g. PA, AP).", nameof(Views));
        if (IndexPath is not null)
            return;
        if (ImageFolder is null || ReportFolder is null || MetadataPath is null)
            throw new ArgumentException(
                "Set IndexPath, or ImageFolder, ReportFolder and MetadataPath (MimicCxrLoaderOptions.FromRoot fills them)."
            );
        if (!Directory.Exists(ImageFolder))
            throw new DirectoryNotFoundException($"{ImageFolder}: the MIMIC-CXR image files/ folder does not exist.");
        if (!Directory.Exists(ReportFolder))
            throw new DirectoryNotFoundException($"{ReportFolder}: the MIMIC-CXR reports files/ folder does not exist.");
    }
}
