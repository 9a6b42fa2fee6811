namespace Prior.MLNet.Data.Images;

/// <summary>
/// The pixel budget (<see cref="ImageReadOptions.MaxPixels"/>): an image whose declared size is over it is refused from
/// its header, before any pixel is allocated, with an <see cref="InvalidDataException"/> like every other unreadable
/// image (so callers that skip unreadable files skip it too) that carries the budget, so that a server can tell it
/// apart and answer 413 rather than 422 (<see cref="IsOverBudget"/>).
/// </summary>
internal static class ImageBudget
{
    private const string DataKey = "Prior.MLNet.PixelBudget";

    /// <summary>The refusal of <paramref name="name"/>, saying <paramref name="why"/>, over <paramref name="budget"/>.</summary>
    public static InvalidDataException Exceeded(string name, string why, long budget)
    {
        var error = new InvalidDataException($"{name}: {why}; refused before decoding.");
        error.Data[DataKey] = budget;
        return error;
    }

    /// <summary>Throws unless <paramref name="width"/> × <paramref name="height"/> is within <paramref name="budget"/>.</summary>
    public static void ThrowIfOver(string name, long width, long height, long budget)
    {
        if (width * height > budget)
            throw Exceeded(
                name,
                $"{width:N0} × {height:N0} = {width * height:N0} pixels is more than the pixel budget of {budget:N0} this decode allows",
                budget
            );
    }

    /// <summary>Whether <paramref name="error"/> is a refusal for the budget, and which budget.</summary>
    public static bool IsOverBudget(Exception error, out long budget)
    {
        budget = error.Data[DataKey] is long b ? b : 0;
        return error.Data.Contains(DataKey);
    }
}
