namespace Prior.MLNet.Evaluation;

/// <summary>
/// Whether pretraining helps when labels are few: per seed, the mean AUC on the test images of a classifier fine-tuned
/// from the network's image tower and of the same architecture fine-tuned from random weights, on the same images,
/// head start and batch order; what <see cref="PriorEvaluationCatalog.EvaluateFineTuning"/> returns.
/// </summary>
public sealed class PriorFineTuningMetrics
{
    internal PriorFineTuningMetrics(
        double fraction,
        IReadOnlyList<long> seeds,
        IReadOnlyList<int> trainingImages,
        IReadOnlyList<IReadOnlyDictionary<string, double>> pretrainedAuc,
        IReadOnlyList<IReadOnlyDictionary<string, double>> randomAuc,
        IReadOnlyList<string> notScored
    )
    {
        Fraction = fraction;
        Seeds = seeds;
        TrainingImages = trainingImages;
        PretrainedAuc = pretrainedAuc;
        RandomAuc = randomAuc;
        NotScored = notScored;
    }

    /// <summary>The share of the training images each seed fine-tunes on (0.01, 0.1, 1 in the paper).</summary>
    public double Fraction { get; }

    /// <summary>The seeds, in order; each chooses its images and seeds both arms alike.</summary>
    public IReadOnlyList<long> Seeds { get; }

    /// <summary>How many training images each seed fine-tuned on.</summary>
    public IReadOnlyList<int> TrainingImages { get; }

    /// <summary>Per seed: label → AUC on the test images, fine-tuned from the pretrained image tower.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> PretrainedAuc { get; }

    /// <summary>Per seed: label → AUC on the test images, fine-tuned from random weights (the baseline).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> RandomAuc { get; }

    /// <summary>"seed S: label: why" for each label a seed could not score (AUC needs both classes on each side).</summary>
    public IReadOnlyList<string> NotScored { get; }

    /// <summary>Per seed: the mean AUC over the scored labels, from the pretrained tower.</summary>
    public IReadOnlyList<double> PretrainedMeanAuc => PretrainedAuc.Select(Mean).ToList();

    /// <summary>Per seed: the mean AUC over the scored labels, from random weights.</summary>
    public IReadOnlyList<double> RandomMeanAuc => RandomAuc.Select(Mean).ToList();

    private static double Mean(IReadOnlyDictionary<string, double> auc) => auc.Count == 0 ? double.NaN : auc.Values.Average();
}
