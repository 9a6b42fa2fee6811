namespace Prior.MLNet.Synthetic;

/// <summary>The findings the synthetic generator can draw and describe.</summary>
internal enum FindingKind
{
    /// <summary>Wide cardiac silhouette.</summary>
    Cardiomegaly,

    /// <summary>Basal opacity with a meniscus, one or both sides.</summary>
    PleuralEffusion,

    /// <summary>Band-like (plate) opacity.</summary>
    Atelectasis,

    /// <summary>Dense patchy opacity in one zone.</summary>
    Consolidation,

    /// <summary>Bilateral perihilar haze.</summary>
    Edema,

    /// <summary>Lucent rim without lung markings, behind a thin pleural line.</summary>
    Pneumothorax,

    /// <summary>Lines and tubes.</summary>
    SupportDevices,

    /// <summary>A small round nodule.</summary>
    LungLesion,
}

/// <summary>The patient's side (on a frontal radiograph the patient's right is drawn on the image's left).</summary>
internal enum BodySide
{
    /// <summary>The patient's right.</summary>
    Right,

    /// <summary>The patient's left.</summary>
    Left,

    /// <summary>Both sides.</summary>
    Bilateral,
}

/// <summary>A lung zone, top to bottom.</summary>
internal enum LungZone
{
    /// <summary>Upper zone.</summary>
    Upper,

    /// <summary>Mid zone.</summary>
    Middle,

    /// <summary>Lower zone (base).</summary>
    Lower,
}

/// <summary>Kinds of support devices drawn and described.</summary>
[Flags]
internal enum DeviceKinds
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>An endotracheal tube in the trachea.</summary>
    EndotrachealTube = 1,

    /// <summary>A nasogastric tube down into the stomach.</summary>
    NasogastricTube = 2,

    /// <summary>A right internal jugular central venous line.</summary>
    CentralLine = 4,
}

/// <summary>One drawn and described finding of a synthetic study.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Uncertain">True when the report hedges (label -1); it is then drawn faintly.</param>
/// <param name="Side">Laterality (ignored for cardiomegaly and edema, which are central or bilateral).</param>
/// <param name="Zone">Zone, for atelectasis, consolidation, lesions.</param>
/// <param name="Severity">0..1: mild, moderate, large/severe.</param>
/// <param name="Devices">For support devices: which ones.</param>
/// <param name="Jitter">0..1 seeds for position and shape variation, so the picture varies beyond the words.</param>
internal sealed record SyntheticFinding(
    FindingKind Kind,
    bool Uncertain,
    BodySide Side,
    LungZone Zone,
    double Severity,
    DeviceKinds Devices,
    double[] Jitter
)
{
    /// <summary>"mild", "moderate" or "large"/"severe" from <see cref="Severity"/>.</summary>
    public string SizeWord(bool severe = false) =>
        Severity switch
        {
            < 0.34 => severe ? "mild" : "small",
            < 0.67 => "moderate",
            _ => severe ? "severe" : "large",
        };
}
