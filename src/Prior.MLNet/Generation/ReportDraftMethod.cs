namespace Prior.MLNet.Generation;

/// <summary>
/// How <c>PriorReportDraft</c> writes a report from an image. All three write only text the training reports contained.
/// docs/drafting.md scores them over three seeds beside a constant report; the default is the best there.
/// </summary>
public enum ReportDraftMethod
{
    /// <summary>
    /// The default: the training report whose embedding is nearest the image's in the joint space (the representation
    /// stage 1 trains), copied whole — best on every metric at the demo's scale.
    /// </summary>
    NearestReport,

    /// <summary>
    /// Training sentences ranked by their similarity to the image in the joint space, as CXR-RePaiR drafts: the most
    /// similar are taken up to the training reports' median length, skipping a sentence that restates an observation an
    /// earlier one already describes or nearly repeats one (cosine ≥ 0.95), and ordered as training reports order them.
    /// </summary>
    Retrieval,

    /// <summary>
    /// PRIOR's sentence prototype generation: stage 3's prototype decoder predicts sentence prototypes from the image,
    /// each becoming the training sentence with the nearest prototype key. Needs stage 3.
    /// </summary>
    Prototype,
}
