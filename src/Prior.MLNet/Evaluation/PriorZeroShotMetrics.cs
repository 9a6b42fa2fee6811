using Microsoft.ML.Data;
using Prior.MLNet.Data;

namespace Prior.MLNet.Evaluation;

/// <summary>
/// Zero-shot classification scored by the 5x200 protocol (<see cref="LabelPolicy"/>), through ML.NET's multiclass
/// evaluator, with macro F1 and Cohen's κ; what <see cref="PriorEvaluationCatalog.EvaluateZeroShot"/> returns.
/// </summary>
public sealed class PriorZeroShotMetrics
{
    /// <summary>
    /// The label protocol: each image's class is the one class it is positive (1.0) for; an image positive for none or
    /// several has no single answer and is not scored (it is named in <see cref="NotScored"/>).
    /// </summary>
    public const string LabelPolicy =
        "5x200: each image's class is the one competition label it is positive (1.0) for; images positive for none or several are "
        + "not scored";

    internal PriorZeroShotMetrics(
        MulticlassClassificationMetrics multiclass,
        double macroF1,
        double kappa,
        IReadOnlyList<string> classes,
        IReadOnlyList<SkippedItem> notScored
    )
    {
        Multiclass = multiclass;
        MacroF1 = macroF1;
        Kappa = kappa;
        Classes = classes;
        NotScored = notScored;
    }

    /// <summary>ML.NET's figures: micro (overall) and macro accuracy, log loss, the confusion matrix (rows: truth).</summary>
    public MulticlassClassificationMetrics Multiclass { get; }

    /// <summary>Share of scored images whose highest-scoring class is their class (<see cref="Multiclass"/>'s micro accuracy).</summary>
    public double Accuracy => Multiclass.MicroAccuracy;

    /// <summary>The unweighted mean of the classes' F1.</summary>
    public double MacroF1 { get; }

    /// <summary>Cohen's κ: agreement beyond what the class frequencies give by chance (0: chance, 1: perfect).</summary>
    public double Kappa { get; }

    /// <summary>The classes in key order (key k of the confusion matrix is the k-th).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The number of images scored.</summary>
    public int Scored => (int)Multiclass.ConfusionMatrix.Counts.Sum(row => row.Sum());

    /// <summary>The images left out, each with why: not positive for exactly one class, or (when skipping) unreadable.</summary>
    public IReadOnlyList<SkippedItem> NotScored { get; }

    /// <summary>Accuracy of always answering one class: 1 / <see cref="Classes"/> on a balanced set such as 5x200.</summary>
    public double Chance => 1.0 / Classes.Count;
}
