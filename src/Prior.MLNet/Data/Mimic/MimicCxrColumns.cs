namespace Prior.MLNet.Data.Mimic;

/// <summary>Column names of the MIMIC-CXR data view.</summary>
public static class MimicCxrColumns
{
    /// <summary>Int64 subject id.</summary>
    public const string SubjectId = "SubjectId";

    /// <summary>Int64 study id.</summary>
    public const string StudyId = "StudyId";

    /// <summary>Text split.</summary>
    public const string Split = "Split";

    /// <summary>Text: absolute path of the study's preferred frontal image.</summary>
    public const string ImagePath = Defaults.ImagePathColumnName;

    /// <summary>Text: DICOM id of <see cref="ImagePath"/>.</summary>
    public const string DicomId = "DicomId";

    /// <summary>Text: view position of <see cref="ImagePath"/>.</summary>
    public const string ViewPosition = "ViewPosition";

    /// <summary>Text vector: every accepted image.</summary>
    public const string ImagePaths = Defaults.ImagePathsColumnName;

    /// <summary>Text vector: DICOM ids of <see cref="ImagePaths"/>.</summary>
    public const string DicomIds = "DicomIds";

    /// <summary>Text vector: view positions of <see cref="ImagePaths"/>.</summary>
    public const string ViewPositions = "ViewPositions";

    /// <summary>Text: FINDINGS.</summary>
    public const string Findings = Defaults.FindingsColumnName;

    /// <summary>Text: IMPRESSION.</summary>
    public const string Impression = Defaults.ImpressionColumnName;

    /// <summary>Text vector: sentences of IMPRESSION then FINDINGS.</summary>
    public const string Sentences = Defaults.SentencesColumnName;

    /// <summary>Single vector of 14 with slot names: the CheXpert labels.</summary>
    public const string Labels = "Labels";
}
