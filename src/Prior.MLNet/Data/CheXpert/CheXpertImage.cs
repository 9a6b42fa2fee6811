using Microsoft.ML.Data;

namespace Prior.MLNet.Data.CheXpert;

/// <summary>One CheXpert image as a row of the data view that <c>mlContext.Data.LoadCheXpert</c> returns.</summary>
public sealed class CheXpertImage
{
    /// <summary>The <c>Path</c> value exactly as in the CSV.</summary>
    [ColumnName("Path")]
    public string Path { get; set; } = string.Empty;

    /// <summary>The absolute image path.</summary>
    [ColumnName("ImagePath")]
    public string ImagePath { get; set; } = string.Empty;

    /// <summary>The patient folder, e.g. <c>patient00001</c>.</summary>
    [ColumnName("Patient")]
    public string Patient { get; set; } = string.Empty;

    /// <summary>The study folder, e.g. <c>study1</c>.</summary>
    [ColumnName("Study")]
    public string Study { get; set; } = string.Empty;

    /// <summary><c>Male</c>, <c>Female</c> or <c>Unknown</c>.</summary>
    [ColumnName("Sex")]
    public string Sex { get; set; } = string.Empty;

    /// <summary>Age in years (NaN when blank).</summary>
    [ColumnName("Age")]
    public float Age { get; set; }

    /// <summary><c>Frontal</c> or <c>Lateral</c>.</summary>
    [ColumnName("View")]
    public string View { get; set; } = string.Empty;

    /// <summary><c>AP</c>, <c>PA</c>, other projections, or empty for laterals.</summary>
    [ColumnName("Projection")]
    public string Projection { get; set; } = string.Empty;

    /// <summary>The 14 labels in <see cref="ChexpertLabels.Names"/> order, after the label policies.</summary>
    [ColumnName("Labels"), VectorType(ChexpertLabels.Count)]
    public float[] Labels { get; set; } = new float[ChexpertLabels.Count];
}
