namespace Prior.MLNet.Modeling;

/// <summary>How the sentence prototype bank scores a sentence against each prototype.</summary>
internal enum PrototypeLogits
{
    /// <summary>
    /// The original's: the dot product x·eₖ. Sentence vectors share a large common component (at demo scale the
    /// k-means centres of stage 1's sentences are at cosine 0.99 to each other), so the logits of one sentence differ
    /// by a few tenths while training's Gumbel noise has a standard deviation of 1.28: training assigns sentences
    /// nearly at random and the prototype loss pulls every sentence toward the bank's mean (docs/training.md).
    /// </summary>
    DotProduct,

    /// <summary>
    /// Ours: s·cos(x − μ, eₖ − μ), with μ the mean of the sentence vectors the bank starts from (the bank's
    /// <c>center</c> buffer) and s <see cref="PriorModelOptions.PrototypeLogitScale"/>. Removing the shared component spreads the
    /// sentences over the sphere, so one sentence's logits differ by units rather than tenths and training's sampled
    /// assignment mostly agrees with the noise-free one inference uses; prototypes' norms no longer decide it either.
    /// </summary>
    CenteredCosine,
}
