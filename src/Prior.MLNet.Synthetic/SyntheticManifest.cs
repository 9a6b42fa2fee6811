using System.Text.Json;
using System.Text.Json.Serialization;
using Prior.MLNet.Data;

namespace Prior.MLNet.Synthetic;

/// <summary>
/// What the generator wrote and which defects it planted, written as <c>synth-manifest.json</c>: the counts the
/// loaders must reproduce exactly (usable studies, and every skip by reason).
/// </summary>
public sealed class SyntheticManifest
{
    /// <summary>Generator seed.</summary>
    public long Seed { get; init; }

    /// <summary>Image size in pixels.</summary>
    public int ImageSize { get; init; }

    /// <summary>MIMIC-CXR studies written (usable or not).</summary>
    public int MimicStudies { get; init; }

    /// <summary>MIMIC-CXR studies that satisfy PRIOR's filters (a PA/AP image, FINDINGS or IMPRESSION, ≥ 4 sentences).</summary>
    public int MimicUsableStudies { get; init; }

    /// <summary>Metadata rows (images) written, malformed ones included.</summary>
    public int MimicImageRows { get; init; }

    /// <summary>Per skip reason (the names of <see cref="SkipReason"/>), how many the MIMIC loader must report.</summary>
    public Dictionary<string, int> MimicSkips { get; init; } = new();

    /// <summary>CheXpert rows in train.csv (malformed ones included).</summary>
    public int CheXpertTrainRows { get; init; }

    /// <summary>CheXpert rows in valid.csv.</summary>
    public int CheXpertValidRows { get; init; }

    /// <summary>Per skip reason, how many the CheXpert loader must report over train.csv with every view.</summary>
    public Dictionary<string, int> CheXpertTrainSkips { get; init; } = new();

    /// <summary>Frontal train images positive for exactly one of the competition five, per class (5x200 candidates).</summary>
    public Dictionary<string, int> CheXpertSinglePositiveFrontal { get; init; } = new();

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reads a manifest written by the generator.</summary>
    public static SyntheticManifest Read(string path) =>
        JsonSerializer.Deserialize<SyntheticManifest>(File.ReadAllText(path), JsonOptions)
        ?? throw new InvalidDataException($"{path}: empty manifest.");
}
