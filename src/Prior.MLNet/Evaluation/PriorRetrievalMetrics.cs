namespace Prior.MLNet.Evaluation;

/// <summary>
/// Image↔report retrieval Precision@K over paired rows (row i's image and row i's report are the one relevant pair),
/// with chance beside it; what <see cref="PriorEvaluationCatalog.EvaluateRetrieval"/> returns.
/// </summary>
public sealed class PriorRetrievalMetrics
{
    internal PriorRetrievalMetrics(double imageToTextP1, double imageToTextP5, double textToImageP1, double textToImageP5, int pairs)
    {
        ImageToTextP1 = imageToTextP1;
        ImageToTextP5 = imageToTextP5;
        TextToImageP1 = textToImageP1;
        TextToImageP5 = textToImageP5;
        Pairs = pairs;
    }

    /// <summary>Share of images whose nearest report is their own.</summary>
    public double ImageToTextP1 { get; }

    /// <summary>Share of images whose own report is among the 5 nearest.</summary>
    public double ImageToTextP5 { get; }

    /// <summary>Share of reports whose nearest image is their own.</summary>
    public double TextToImageP1 { get; }

    /// <summary>Share of reports whose own image is among the 5 nearest.</summary>
    public double TextToImageP5 { get; }

    /// <summary>The number of image–report pairs scored.</summary>
    public int Pairs { get; }

    /// <summary>P@1 of a random ranking: 1 / <see cref="Pairs"/> (P@5 of one is 5 times that).</summary>
    public double Chance => 1.0 / Pairs;

    /// <inheritdoc />
    public override string ToString()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return string.Create(c, $"image->text P@1 {ImageToTextP1:0.000}, P@5 {ImageToTextP5:0.000}; ")
            + string.Create(c, $"text->image P@1 {TextToImageP1:0.000}, P@5 {TextToImageP5:0.000}; ")
            + string.Create(c, $"{Pairs} pairs, chance P@1 {Chance:0.000}");
    }
}
