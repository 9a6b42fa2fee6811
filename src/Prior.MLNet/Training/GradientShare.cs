using System.Globalization;
using System.Text;
using Prior.MLNet.Modeling;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// What each weighted loss term asks of the two towers in one step: the L2 norm of its gradient on the image
/// encoder's and the text encoder's parameters, and the cosine of that gradient with the global contrastive term's
/// (<see cref="Reference"/>: "global", or "globalRaw", stage 1's own global term, when the bank path's reaches neither
/// tower, as in decoupled stages 2–3).
/// A term whose norm dwarfs the global term's, or whose cosine is negative, pulls the towers away from the alignment
/// that zero-shot classification and retrieval rely on.
/// </summary>
/// <param name="Stage">The stage.</param>
/// <param name="Epoch">Epoch within the stage (0-based).</param>
/// <param name="Terms">Per weighted term: image-tower norm, text-tower norm, cosines with the global term on each tower.</param>
internal sealed record GradientShare(PriorStage Stage, int Epoch, IReadOnlyDictionary<string, GradientShare.Term> Terms)
{
    /// <summary>One term's gradient on the towers.</summary>
    /// <param name="ImageNorm">‖∇‖ over the image encoder's parameters.</param>
    /// <param name="TextNorm">‖∇‖ over the text encoder's parameters.</param>
    /// <param name="ImageCosineWithGlobal">Cosine with the global term's image-tower gradient (1 for the global term; NaN when either is
    /// 0).</param>
    /// <param name="TextCosineWithGlobal">The same on the text tower.</param>
    public sealed record Term(double ImageNorm, double TextNorm, double ImageCosineWithGlobal, double TextCosineWithGlobal);

    /// <summary>The term the cosines are taken with: "global", or "globalRaw" when "global" has no tower gradient.</summary>
    public string Reference { get; init; } = "global";

    /// <summary>
    /// Back-propagates each weighted term of <paramref name="losses"/> alone (keeping the graph) and measures it.
    /// Leaves the parameters' gradients zeroed: the caller back-propagates the total afterwards as usual, so the step
    /// itself, and the random streams, are the same as without the measurement.
    /// </summary>
    public static GradientShare Measure(PriorModel model, PriorLosses losses, PriorStage stage, int epoch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(losses);
        var image = model.image_encoder.parameters().ToList();
        var text = model.text_encoder.parameters().ToList();
        var flat = new Dictionary<string, (Tensor Image, Tensor Text)>();
        using var scope = NewDisposeScope();
        foreach (var (name, term) in losses.Terms)
        {
            foreach (var p in model.parameters())
                p.grad?.zero_();
            (term * PriorLosses.Weight(stage, name)).backward(retain_graph: true);
            flat[name] = (Flatten(image), Flatten(text));
        }
        foreach (var p in model.parameters())
            p.grad?.zero_();
        // Decoupled stages' bank-path global term reaches no tower; stage 1's own global term then is the reference.
        string reference =
            flat.TryGetValue("global", out var bankPath)
            && flat.ContainsKey("globalRaw")
            && bankPath.Image.norm().item<double>() == 0
            && bankPath.Text.norm().item<double>() == 0
                ? "globalRaw"
                : "global";
        flat.TryGetValue(reference, out var global);
        var result = new Dictionary<string, Term>();
        foreach (var (name, (img, txt)) in flat)
        {
            result[name] = new Term(
                img.norm().item<double>(),
                txt.norm().item<double>(),
                global.Image is null ? double.NaN : Cosine(img, global.Image),
                global.Text is null ? double.NaN : Cosine(txt, global.Text)
            );
        }
        return new GradientShare(stage, epoch, result) { Reference = reference };
    }

    // The parameters' gradients as one float64 vector (zeros where a term does not reach a parameter).
    private static Tensor Flatten(IReadOnlyList<TorchSharp.Modules.Parameter> parameters) =>
        cat(
            parameters
                .Select(p => p.grad is { } g ? g.detach().flatten().to(ScalarType.Float64) : zeros(p.numel(), ScalarType.Float64, p.device))
                .ToArray()
        );

    private static double Cosine(Tensor a, Tensor b)
    {
        double na = a.norm().item<double>(),
            nb = b.norm().item<double>();
        return na == 0 || nb == 0 ? double.NaN : a.dot(b).item<double>() / (na * nb);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var line = new StringBuilder(
            FormattableString.Invariant(
                $"stage {(int)Stage} epoch {Epoch + 1} gradient per weighted term (image tower, text tower; cosine with {Reference}):"
            )
        );
        // A term that does not reach a tower has no direction there: "-" rather than NaN.
        static string Cos(double c) => double.IsNaN(c) ? "-" : c.ToString("0.00", CultureInfo.InvariantCulture);
        foreach (var (name, t) in Terms)
            line.Append(
                CultureInfo.InvariantCulture,
                $" {name} {t.ImageNorm:0.###e0} ({Cos(t.ImageCosineWithGlobal)}), {t.TextNorm:0.###e0} ({Cos(t.TextCosineWithGlobal)});"
            );
        return line.ToString().TrimEnd(';');
    }
}
