using Microsoft.ML.Data;

namespace Prior.MLNet.Data.Mimic;

/// <summary>
/// One MIMIC-CXR study as a row of the data view that <see cref="MimicCxrCatalog.LoadMimicCxr(Microsoft.ML.DataOperationsCatalog,
/// MimicCxrLoaderOptions)"/>
/// returns. Column names are in <see cref="MimicCxrColumns"/>.
/// </summary>
public sealed class MimicCxrStudy
{
    /// <summary>MIMIC subject (patient) id.</summary>
    [ColumnName(MimicCxrColumns.SubjectId)]
    public long SubjectId { get; set; }

    /// <summary>MIMIC study id.</summary>
    [ColumnName(MimicCxrColumns.StudyId)]
    public long StudyId { get; set; }

    /// <summary><c>train</c>, <c>validate</c>, <c>test</c>, or empty when no split table was given.</summary>
    [ColumnName(MimicCxrColumns.Split)]
    public string Split { get; set; } = string.Empty;

    /// <summary>The study's first image of an accepted view, PA before AP: the image to use when one is wanted.</summary>
    [ColumnName(MimicCxrColumns.ImagePath)]
    public string ImagePath { get; set; } = string.Empty;

    /// <summary>The DICOM id of <see cref="ImagePath"/>.</summary>
    [ColumnName(MimicCxrColumns.DicomId)]
    public string DicomId { get; set; } = string.Empty;

    /// <summary>The view position of <see cref="ImagePath"/>.</summary>
    [ColumnName(MimicCxrColumns.ViewPosition)]
    public string ViewPosition { get; set; } = string.Empty;

    /// <summary>Every image of an accepted view (PRIOR draws one at random per epoch).</summary>
    [ColumnName(MimicCxrColumns.ImagePaths)]
    public string[] ImagePaths { get; set; } = [];

    /// <summary>The DICOM ids of <see cref="ImagePaths"/>.</summary>
    [ColumnName(MimicCxrColumns.DicomIds)]
    public string[] DicomIds { get; set; } = [];

    /// <summary>The view positions of <see cref="ImagePaths"/>.</summary>
    [ColumnName(MimicCxrColumns.ViewPositions)]
    public string[] ViewPositions { get; set; } = [];

    /// <summary>The FINDINGS section, single-spaced, or empty.</summary>
    [ColumnName(MimicCxrColumns.Findings)]
    public string Findings { get; set; } = string.Empty;

    /// <summary>The IMPRESSION section, single-spaced, or empty.</summary>
    [ColumnName(MimicCxrColumns.Impression)]
    public string Impression { get; set; } = string.Empty;

    /// <summary>The sentences of IMPRESSION, then of FINDINGS (PRIOR's order before shuffling).</summary>
    [ColumnName(MimicCxrColumns.Sentences)]
    public string[] Sentences { get; set; } = [];

    /// <summary>The 14 CheXpert labels in <see cref="ChexpertLabels.Names"/> order, after the label policies.</summary>
    [ColumnName(MimicCxrColumns.Labels), VectorType(ChexpertLabels.Count)]
    public float[] Labels { get; set; } = new float[ChexpertLabels.Count];
}
