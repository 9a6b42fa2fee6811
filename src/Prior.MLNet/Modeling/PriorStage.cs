namespace Prior.MLNet.Modeling;

/// <summary>PRIOR's three training stages.</summary>
public enum PriorStage
{
    /// <summary>Stage 1: global and local alignment on raw sentences.</summary>
    Alignment = 1,

    /// <summary>Stage 2: the text path goes through the sentence prototype bank; L_proto joins.</summary>
    Prototypes = 2,

    /// <summary>Stage 3: conditional reconstruction of images and reports joins.</summary>
    Reconstruction = 3,
}
