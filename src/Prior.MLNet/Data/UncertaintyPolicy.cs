namespace Prior.MLNet.Data;

/// <summary>
/// What becomes of an uncertain (-1) CheXpert label (Irvin et al., 2019: U-Ignore, U-Zeros, U-Ones).
/// </summary>
public enum UncertaintyPolicy
{
    /// <summary>Keep -1 as it is.</summary>
    Keep,

    /// <summary>U-Ignore: NaN, so that metrics and losses can mask it.</summary>
    Ignore,

    /// <summary>U-Zeros: negative (0).</summary>
    Zeros,

    /// <summary>U-Ones: positive (1).</summary>
    Ones,
}
