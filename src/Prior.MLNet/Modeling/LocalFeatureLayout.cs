using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>How the last ResNet feature map [B, C, H, W] becomes H·W local "patch" features.</summary>
internal enum LocalFeatureLayout
{
    /// <summary>
    /// Each patch is one spatial position: permute to [B, H·W, C]. The default for new training.
    /// </summary>
    Spatial,

    /// <summary>
    /// The original's plain reshape [B, C, H, W] → [B, H·W, C] without a permute: a "patch" is C consecutive NCHW
    /// values, not a position. Selected for parity with the official checkpoint, whose weights depend on it.
    /// </summary>
    OriginalFlatView,
}

/// <summary>Turns a feature map into patch tokens and back, in either <see cref="LocalFeatureLayout"/>.</summary>
internal static class LocalFeatures
{
    /// <summary>[B, C, H, W] → [B, H·W, C].</summary>
    public static Tensor ToTokens(Tensor map, LocalFeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(map);
        long b = map.shape[0],
            c = map.shape[1];
        return layout == LocalFeatureLayout.Spatial ? map.flatten(2).transpose(1, 2) : map.reshape(b, -1, c);
    }

    /// <summary>[B, H·W, D] → [B, D, H, W], the inverse arrangement of <see cref="ToTokens"/> (for the image decoder).</summary>
    public static Tensor ToMap(Tensor tokens, LocalFeatureLayout layout, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        long b = tokens.shape[0],
            d = tokens.shape[2];
        return layout == LocalFeatureLayout.Spatial
            ? tokens.transpose(1, 2).reshape(b, d, height, width)
            : tokens.reshape(b, d, height, width);
    }
}
