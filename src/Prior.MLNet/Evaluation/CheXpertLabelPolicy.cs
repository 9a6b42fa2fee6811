using Prior.MLNet.Data;
using Prior.MLNet.Data.CheXpert;

namespace Prior.MLNet.Evaluation;

/// <summary>What a blank (not mentioned) CheXpert label counts as when a model is scored.</summary>
internal enum BlankLabelPolicy
{
    /// <summary>Negative (0): what GLoRIA, MGCA, MedKLIP, PRIOR and BenchX do (<c>fillna(0)</c>), so figures compare.</summary>
    Negative,

    /// <summary>Left out of that label's training and scoring: only mentioned findings count.</summary>
    Ignore,
}

/// <summary>
/// How CheXpert labels become the binary targets a probe or a fine-tuned classifier is trained and scored on: blanks
/// and uncertain (-1) mentions. <see cref="Published"/> is the papers' protocol (blank negative, U-Zeros); the JSON of
/// every evaluation command records the policy it ran with (<see cref="Name"/>).
/// </summary>
/// <param name="Blank">What a blank label is.</param>
/// <param name="Uncertain">What an uncertain label is: U-Zeros, U-Ones or U-Ignore (Irvin et al., 2019).</param>
internal sealed record CheXpertLabelPolicy(BlankLabelPolicy Blank, UncertaintyPolicy Uncertain)
{
    /// <summary>Blank negative, uncertain negative (U-Zeros): the linear-probe and fine-tuning protocol of GLoRIA and MGCA.</summary>
    public static CheXpertLabelPolicy Published { get; } = new(BlankLabelPolicy.Negative, UncertaintyPolicy.Zeros);

    /// <summary>A short name for reports and JSON, e.g. <c>blank=0,U-Zeros</c>.</summary>
    public string Name =>
        (Blank == BlankLabelPolicy.Negative ? "blank=0" : "blank=ignored")
        + ","
        + Uncertain switch
        {
            UncertaintyPolicy.Zeros => "U-Zeros",
            UncertaintyPolicy.Ones => "U-Ones",
            UncertaintyPolicy.Ignore => "U-Ignore",
            _ => "U-Keep",
        };

    /// <summary>Throws when the policy leaves labels a binary score cannot use (-1 kept as it is).</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Blank))
            throw new ArgumentOutOfRangeException(nameof(Blank), Blank, "unknown blank policy");
        if (Uncertain is not (UncertaintyPolicy.Zeros or UncertaintyPolicy.Ones or UncertaintyPolicy.Ignore))
            throw new ArgumentException(
                $"Uncertain labels must become 0, 1 or be ignored to score a binary task, not '{Uncertain}' (-1 kept as it is)."
            );
    }

    /// <summary>Loader options that read <paramref name="csv"/> under <paramref name="root"/> with this policy.</summary>
    public CheXpertLoaderOptions LoaderOptions(string root, string csv) =>
        new()
        {
            Root = root,
            Csv = csv,
            UncertainLabels = Uncertain,
            BlankLabel = Blank == BlankLabelPolicy.Negative ? 0f : float.NaN,
        };
}
