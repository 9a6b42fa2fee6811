namespace Prior.MLNet.Data.CheXpert;

/// <summary>The CheXpert CSV layout (train.csv, valid.csv and the 5x200 subset all share it).</summary>
public static class CheXpertColumns
{
    /// <summary>The name of the downsampled dataset's folder, which starts every <c>Path</c> value.</summary>
    public const string DatasetFolder = "CheXpert-v1.0-small";

    /// <summary>The leading, non-label columns.</summary>
    public const string Path = "Path",
        Sex = "Sex",
        Age = "Age",
        FrontalLateral = "Frontal/Lateral",
        ApPa = "AP/PA";

    /// <summary>The header of CheXpert's CSVs: the five leading columns, then the 14 observations.</summary>
    public static IReadOnlyList<string> Header { get; } =
        new[] { Path, Sex, Age, FrontalLateral, ApPa }.Concat(ChexpertLabels.Names).ToArray();
}
