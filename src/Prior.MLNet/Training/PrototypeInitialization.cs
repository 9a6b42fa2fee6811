namespace Prior.MLNet.Training;

/// <summary>How the sentence prototype bank starts when the first prototype stage begins from a stage-1 model.</summary>
internal enum PrototypeInitialization
{
    /// <summary>As built: N(0, 1) entries (the original's).</summary>
    Random,

    /// <summary>
    /// Spherical k-means centres of the training sentences' vectors under the stage-1 text tower, scaled to their
    /// mean norm (<see cref="Modeling.SentencePrototypeBank.InitializeFromSentences"/>).
    /// </summary>
    KMeans,
}
