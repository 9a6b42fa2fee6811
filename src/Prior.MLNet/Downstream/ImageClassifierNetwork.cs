using Prior.MLNet.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names follow PriorModel's, so that its image tower's weights load by name.

namespace Prior.MLNet.Downstream;

/// <summary>
/// PRIOR's image tower with a classification head: ResNet, attention pooling and the global projection (under
/// <see cref="PriorModel"/>'s names, so a pretrained network's weights copy over by name), then a linear layer to one
/// logit per label.
/// </summary>
internal sealed class ImageClassifierNetwork : nn.Module<Tensor, Tensor>
{
    /// <summary>ResNet + attention pooling.</summary>
    public readonly ImageEncoder image_encoder;

    /// <summary>Pooled feature → embedding.</summary>
    public readonly Linear global_image_projection;

    /// <summary>Embedding → one logit per label.</summary>
    public readonly Linear head;

    /// <summary>Builds the network for <paramref name="options"/>' image sizes and <paramref name="labels"/> outputs, from random
    /// weights.</summary>
    public ImageClassifierNetwork(PriorModelOptions options, int labels)
        : base(nameof(ImageClassifierNetwork))
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(labels, 1);
        image_encoder = new ImageEncoder(options);
        global_image_projection = nn.Linear(image_encoder.encoder.OutputChannels, options.EmbeddingDim);
        head = nn.Linear(options.EmbeddingDim, labels);
        RegisterComponents();
    }

    /// <summary>Copies the image tower of <paramref name="pretrained"/> (every parameter and buffer it shares by name); returns how many
    /// tensors were copied.</summary>
    public int LoadImageTower(PriorModel pretrained) => CopyByName(this, pretrained, "image_encoder.", "global_image_projection.");

    /// <summary>
    /// Copies into <paramref name="target"/> every tensor of <paramref name="pretrained"/> whose name starts with one of
    /// <paramref name="prefixes"/> (the downstream networks keep PriorModel's names); a missing or reshaped one is named.
    /// </summary>
    internal static int CopyByName(nn.Module target, PriorModel pretrained, params string[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        var source = pretrained.state_dict();
        int copied = 0;
        using var noGrad = no_grad();
        foreach (var (name, tensor) in target.state_dict().Where(kv => prefixes.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal))))
        {
            if (!source.TryGetValue(name, out var value))
                throw new ArgumentException($"The pretrained network has no {name}.", nameof(pretrained));
            if (!value.shape.SequenceEqual(tensor.shape))
                throw new ArgumentException(
                    $"{name}: the pretrained network's is [{string.Join(", ", value.shape)}], this one's "
                        + $"[{string.Join(", ", tensor.shape)}].",
                    nameof(pretrained)
                );
            tensor.copy_(value);
            copied++;
        }
        return copied;
    }

    /// <summary>The parameters of the image tower (ResNet, pooling, projection), for freezing or a lower learning rate.</summary>
    public IEnumerable<Parameter> TowerParameters() => image_encoder.parameters().Concat(global_image_projection.parameters());

    /// <inheritdoc />
    public override Tensor forward(Tensor images) =>
        head.call(global_image_projection.call(image_encoder.atten_pool.call(image_encoder.call(images))));
}
