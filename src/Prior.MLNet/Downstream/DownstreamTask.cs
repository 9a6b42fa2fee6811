namespace Prior.MLNet.Downstream;

/// <summary>The supervised tasks PRIOR's paper fine-tunes its image encoder for.</summary>
internal enum DownstreamTask
{
    /// <summary>Multi-label image classification: a probability per label (<see cref="ImageClassifierNetwork"/>).</summary>
    Classification = 1,

    /// <summary>Binary segmentation: a mask per image (<see cref="SegmentationNetwork"/>).</summary>
    Segmentation = 2,

    /// <summary>Box detection of one class: boxes with scores per image (<see cref="DetectionNetwork"/>).</summary>
    Detection = 3,
}
