using TorchSharp;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the checkpoint keys of the original (image_encoder.encoder, image_encoder.atten_pool).

namespace Prior.MLNet.Modeling;

/// <summary>PRIOR's image tower: a one-channel <see cref="ResNetEncoder"/> and its <see cref="AttentionPool2d"/>.</summary>
internal sealed class ImageEncoder : nn.Module<Tensor, Tensor>
{
    /// <summary>The ResNet.</summary>
    public readonly ResNetEncoder encoder;

    /// <summary>Attention pooling of the last map.</summary>
    public readonly AttentionPool2d atten_pool;

    /// <summary>Creates the tower.</summary>
    public ImageEncoder(PriorModelOptions options)
        : base(nameof(ImageEncoder))
    {
        encoder = new ResNetEncoder(options.ResNetBlock, options.ResNetLayers, options.ResNetWidth);
        atten_pool = new AttentionPool2d(options.ImageSize / 32, encoder.OutputChannels, options.PoolingHeads);
        RegisterComponents();
    }

    /// <summary>The last feature map [B, C, H/32, W/32].</summary>
    public override Tensor forward(Tensor image) => encoder.call(image);
}

/// <summary>PRIOR's text tower: a <see cref="Bert.BertModel"/> under <c>text_encoder.encoder</c>.</summary>
internal sealed class TextEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>The BERT.</summary>
    public readonly Bert.BertModel encoder;

    /// <summary>Creates the tower.</summary>
    public TextEncoder(Bert.BertConfig config)
        : base(nameof(TextEncoder))
    {
        encoder = new Bert.BertModel(config);
        RegisterComponents();
    }

    /// <summary>The last hidden state.</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask) => encoder.call(inputIds, attentionMask);
}
