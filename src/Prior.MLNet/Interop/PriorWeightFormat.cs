namespace Prior.MLNet.Interop;

/// <summary>What a weights file holds (<c>prior import --format</c>).</summary>
internal enum PriorWeightFormat
{
    /// <summary>Told from the keys.</summary>
    Auto,

    /// <summary>A PRIOR state dict under the official names: the whole network, or the image encoder alone
    /// (<c>prior_resnet50.pt</c>).</summary>
    Prior,

    /// <summary>torchvision ResNet weights (ImageNet): 3-channel conv1 folded into one channel, <c>fc</c> dropped.</summary>
    Torchvision,

    /// <summary>Hugging Face BERT weights (a folder with config.json and vocab.txt, e.g. Bio_ClinicalBERT).</summary>
    Bert,
}
