namespace Prior.MLNet.Data.Mimic;

/// <summary>
/// The compact, text-free record of one accepted study: what a scan keeps in memory. <c>Order</c> is the study's place
/// among all the metadata table's studies (first-seen order), the same whichever part of them a scan covers.
/// </summary>
internal sealed record MimicCxrStudyEntry(
    int Order,
    long SubjectId,
    long StudyId,
    string Split,
    IReadOnlyList<(string DicomId, string View)> Images,
    float[] RawLabels
);
