namespace Prior.MLNet.Data.Mimic;

/// <summary>The compact, text-free record of one accepted study: what a scan keeps in memory.</summary>
internal sealed record MimicCxrStudyEntry(
    long SubjectId,
    long StudyId,
    string Split,
    IReadOnlyList<(string DicomId, string View)> Images,
    float[] RawLabels
);
