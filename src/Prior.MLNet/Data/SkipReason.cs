namespace Prior.MLNet.Data;

/// <summary>Why a loader left out a row, an image or a study. Every one is counted; defects are also named.</summary>
public enum SkipReason
{
    /// <summary>A CSV row that cannot be read: wrong number of fields, an unparsable id or label, an open quote.</summary>
    MalformedRow,

    /// <summary>An image whose view position is blank or not one that MIMIC-CXR or CheXpert uses.</summary>
    UnknownView,

    /// <summary>A valid image of a view the options exclude (e.g. LATERAL for pretraining). Counted, not named.</summary>
    ViewFiltered,

    /// <summary>An image listed in a table whose file does not exist.</summary>
    MissingImage,

    /// <summary>A study whose report file does not exist.</summary>
    MissingReport,

    /// <summary>A study whose report has neither FINDINGS nor IMPRESSION.</summary>
    NoUsableSection,

    /// <summary>A study whose FINDINGS and IMPRESSION hold fewer sentences than required.</summary>
    TooFewSentences,

    /// <summary>A study left with no image of an accepted view (after the image-level skips).</summary>
    NoFrontalImage,

    /// <summary>A study excluded by the split filter. Counted, not named.</summary>
    SplitFiltered,

    /// <summary>An image file whose header cannot be read (not an image, truncated, a DICOM form this library does not read).</summary>
    UnreadableImage,

    /// <summary>An image an evaluation cannot score by its protocol (in 5x200: positive for none or several of the classes).</summary>
    NotOneClass,
}
