namespace Prior.MLNet.Transforms;

/// <summary>What an image transformer does with an input it cannot read (missing, empty, truncated, not an image).</summary>
public enum UnreadableImageHandling
{
    /// <summary>Stop with one <see cref="InvalidDataException"/> naming the row and the file (default).</summary>
    Fail,

    /// <summary>
    /// Keep going: the row's outputs are missing values (NaN vectors; key 0 for a predicted label) and its error column
    /// holds the reason, empty for readable rows. Filter on that column before training on the outputs.
    /// </summary>
    Skip,
}
