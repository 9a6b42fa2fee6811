namespace Prior.MLNet.Training;

/// <summary>
/// A size of the PRIOR network together with the pretraining schedule that suits it. The sizes are listed in
/// docs/user-guide.md; <see cref="Paper"/> is the network of the paper and of the official checkpoint.
/// </summary>
public enum PriorPreset
{
    /// <summary>64 px images, a narrow ResNet and a 2-layer BERT: learns on two CPU cores in minutes (the demo's).</summary>
    Tiny,

    /// <summary>128 px images and a wider network: a CPU run of hours.</summary>
    Small,

    /// <summary>The paper's network: 224 px, ResNet-50, 12-layer BERT, 512 prototypes; for GPUs and pretrained towers.</summary>
    Paper,
}

/// <summary>Reads preset names as the command line and the model files write them.</summary>
internal static class PriorPresets
{
    /// <summary>Parses <c>tiny</c>, <c>small</c> or <c>paper</c> (any case).</summary>
    public static PriorPreset Parse(string name) =>
        name?.ToLowerInvariant() switch
        {
            "paper" => PriorPreset.Paper,
            "small" => PriorPreset.Small,
            "tiny" => PriorPreset.Tiny,
            _ => throw new ArgumentException($"Unknown preset '{name}'; use paper, small or tiny.", nameof(name)),
        };
}
