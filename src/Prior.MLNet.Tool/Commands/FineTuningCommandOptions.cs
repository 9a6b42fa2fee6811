using System.CommandLine;
using System.Globalization;
using Prior.MLNet.Downstream;
using Prior.MLNet.Trainers;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// The options the downstream commands (finetune-classify, segment, detect) share — the pretrained model, the label
/// fraction, epochs, freezing and seeds — with their parsing and checks, and the mean ± sd they report over seeds.
/// </summary>
internal sealed class FineTuningCommandOptions
{
    public Option<string> Model { get; } =
        new("--model") { Description = "The pretrained model (from pretrain, demo or import).", Required = true };
    public Option<double> Fraction { get; }
    public Option<int> Epochs { get; } =
        new("--epochs")
        {
            Description = "Passes over the chosen training images.",
            DefaultValueFactory = _ => new FineTuningOptions().Epochs,
        };
    public Option<bool> Freeze { get; }
    public Option<string> Seeds { get; }

    /// <param name="defaultFraction">The fraction when none is given.</param>
    /// <param name="newPart">What is trained when the pretrained part is frozen ("the head", "the decoder", …).</param>
    public FineTuningCommandOptions(double defaultFraction, string newPart)
    {
        Fraction = new("--fraction")
        {
            Description = "Share of the training images to fine-tune on (the paper: 0.01, 0.1, 1).",
            DefaultValueFactory = _ => defaultFraction,
        };
        Freeze = new("--freeze") { Description = $"Train {newPart} only, the pretrained image tower frozen." };
        Seeds = new("--seeds")
        {
            Description = $"Comma-separated seeds: each picks the images, the start of {newPart} and the batch order, for both arms.",
            DefaultValueFactory = _ => "1,2,3",
        };
    }

    /// <summary>Adds the shared options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Fraction, Epochs, Freeze, Seeds })
            command.Options.Add(option);
    }

    /// <summary>The fraction, checked to be in (0, 1].</summary>
    public double FractionOf(ParseResult parse)
    {
        double share = parse.GetValue(Fraction);
        if (share is <= 0 or > 1)
            throw new ArgumentOutOfRangeException("--fraction", share, "must be in (0, 1]");
        return share;
    }

    /// <summary>The seeds, in the order given.</summary>
    public List<long> SeedsOf(ParseResult parse) =>
        parse
            .GetValue(Seeds)!
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s =>
                long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
                    ? seed
                    : throw new ArgumentException($"--seeds: '{s}' is not a whole number.")
            )
            .ToList();

    /// <summary>"whole network fine-tuned" or "frozen tower", for the summary line.</summary>
    public string TrainingOf(ParseResult parse) => parse.GetValue(Freeze) ? "frozen tower" : "whole network fine-tuned";

    /// <summary>Mean and sample standard deviation (0 for one value).</summary>
    public static (double Mean, double Sd) MeanAndSd(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return (mean, values.Count < 2 ? 0 : Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / (values.Count - 1)));
    }
}
