namespace Prior.MLNet.Data.CheXpert;

/// <summary>Where a CheXpert(-v1.0-small) install is, which CSV to read and how to treat its labels.</summary>
public sealed class CheXpertLoaderOptions
{
    /// <summary>The dataset folder (<c>CheXpert-v1.0-small/</c>) holding train.csv, valid.csv, train/ and valid/.</summary>
    public required string Root { get; init; }

    /// <summary>
    /// The CSV to read; relative paths are taken under <see cref="Root"/>. Default <c>train.csv</c>. Any file with
    /// CheXpert's columns works, such as the 5x200 subset written by <see cref="CheXpertZeroShotSubset"/>; so does a
    /// selection in the PRIOR authors' JSON format (told by content), and <see cref="CheXpertAuthorsSubset.Name"/>
    /// (<c>"authors"</c>) reads the authors' own 5x200 selection shipped with this library.
    /// </summary>
    public string Csv { get; init; } = "train.csv";

    /// <summary>Which views to keep. Default <see cref="CheXpertViews.Frontal"/>.</summary>
    public CheXpertViews Views { get; init; } = CheXpertViews.Frontal;

    /// <summary>What uncertain (-1) labels become (U-Ignore, U-Zeros, U-Ones). Default <see cref="UncertaintyPolicy.Keep"/>.</summary>
    public UncertaintyPolicy UncertainLabels { get; init; } = UncertaintyPolicy.Keep;

    /// <summary>What blank (not mentioned) labels become. Default NaN (the raw value); 0 is the usual choice for training.</summary>
    public float BlankLabel { get; init; } = float.NaN;

    /// <summary>Whether every image file is checked to exist. Default true.</summary>
    public bool CheckImages { get; init; } = true;

    /// <summary>The CSV's full path.</summary>
    public string CsvPath =>
        Csv == CheXpertAuthorsSubset.Name ? Csv
        : System.IO.Path.IsPathRooted(Csv) ? Csv
        : System.IO.Path.Combine(Root, Csv);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Root, nameof(Root));
        if (!Directory.Exists(Root))
            throw new DirectoryNotFoundException($"{Root}: the CheXpert folder does not exist.");
        if (Csv != CheXpertAuthorsSubset.Name && !File.Exists(CsvPath))
            throw new FileNotFoundException($"{CsvPath}: the CheXpert CSV does not exist.", CsvPath);
    }
}
