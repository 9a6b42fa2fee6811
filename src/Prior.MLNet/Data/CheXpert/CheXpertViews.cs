namespace Prior.MLNet.Data.CheXpert;

/// <summary>Which CheXpert images to keep, by the <c>Frontal/Lateral</c> column.</summary>
public enum CheXpertViews
{
    /// <summary>Frontal images only (the zero-shot and most probing protocols).</summary>
    Frontal,

    /// <summary>Lateral images only.</summary>
    Lateral,

    /// <summary>Both.</summary>
    All,
}
