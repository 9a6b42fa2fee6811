namespace Prior.MLNet.Synthetic;

/// <summary>Options of <see cref="SyntheticDatasetGenerator"/>. Every default is documented; all are validated.</summary>
public sealed class SyntheticDatasetOptions
{
    /// <summary>Default values.</summary>
    internal static class Defaults
    {
        /// <summary>Number of MIMIC-CXR studies.</summary>
        public const int Studies = 300;

        /// <summary>Number of CheXpert images (train and valid together): enough for a 5x200 subset.</summary>
        public const int CheXpertImages = 2600;

        /// <summary>Image height and width in pixels.</summary>
        public const int ImageSize = 128;

        /// <summary>The PRIOR paper's seed.</summary>
        public const long Seed = Prior.MLNet.Defaults.Seed;

        /// <summary>Share of studies (and CheXpert rows) given a deliberate defect for the loaders to report.</summary>
        public const double DefectRate = 0.04;

        /// <summary>JPEG quality.</summary>
        public const int JpegQuality = 90;
    }

    /// <summary>The folder that receives <c>mimic-cxr-jpg/</c>, <c>mimic-cxr-reports/</c>, <c>CheXpert-v1.0-small/</c> and
    /// <c>synth-manifest.json</c>.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>MIMIC-CXR studies to write, in [0, 1 000 000]. Default <see cref="Defaults.Studies"/>.</summary>
    public int Studies { get; init; } = Defaults.Studies;

    /// <summary>CheXpert images to write, in [0, 1 000 000]. Default <see cref="Defaults.CheXpertImages"/>.</summary>
    public int CheXpertImages { get; init; } = Defaults.CheXpertImages;

    /// <summary>Image size in pixels, in [32, 1024]. Default <see cref="Defaults.ImageSize"/>.</summary>
    public int ImageSize { get; init; } = Defaults.ImageSize;

    /// <summary>Seed: the same seed gives the same bytes. Default <see cref="Defaults.Seed"/>.</summary>
    public long Seed { get; init; } = Defaults.Seed;

    /// <summary>Share of deliberately defective studies and rows, in [0, 0.5]. Default <see cref="Defaults.DefectRate"/>.</summary>
    public double DefectRate { get; init; } = Defaults.DefectRate;

    /// <summary>JPEG quality in [50, 100]. Default <see cref="Defaults.JpegQuality"/>.</summary>
    public int JpegQuality { get; init; } = Defaults.JpegQuality;

    /// <summary>Parallel workers; 0 (default) uses every core. The output does not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <summary>The Parallel options for <see cref="MaxDegreeOfParallelism"/> (0 = unbounded).</summary>
    internal ParallelOptions ParallelOptions() =>
        new() { MaxDegreeOfParallelism = MaxDegreeOfParallelism > 0 ? MaxDegreeOfParallelism : -1 };

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputDirectory, nameof(OutputDirectory));
        Check(Studies is >= 0 and <= 1_000_000, nameof(Studies), Studies, "[0, 1000000]");
        Check(CheXpertImages is >= 0 and <= 1_000_000, nameof(CheXpertImages), CheXpertImages, "[0, 1000000]");
        Check(ImageSize is >= 32 and <= 1024, nameof(ImageSize), ImageSize, "[32, 1024]");
        Check(DefectRate is >= 0 and <= 0.5, nameof(DefectRate), DefectRate, "[0, 0.5]");
        Check(JpegQuality is >= 50 and <= 100, nameof(JpegQuality), JpegQuality, "[50, 100]");
        Check(MaxDegreeOfParallelism >= 0, nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, ">= 0");
    }

    private static void Check(bool ok, string name, object value, string range)
    {
        if (!ok)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in {range}; it is {value}.");
    }
}
