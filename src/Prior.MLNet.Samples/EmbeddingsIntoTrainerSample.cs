using Microsoft.ML;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples;

/// <summary>PRIOR image embeddings as features of an ML.NET trainer: a linear probe of the five CheXpert classes.</summary>
public static class EmbeddingsIntoTrainerSample
{
    /// <summary>The pipeline: image path → embedding → label key → (cache) → SDCA maximum entropy → predicted label.</summary>
    public static IEstimator<ITransformer> Pipeline(MLContext ml, PriorNetwork network) =>
        ml
            .Transforms.PriorImageEmbedding(network, outputColumnName: "Features", inputColumnName: "ImagePath")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            // The embedding is lazy: without the cache, each of SDCA's passes over the data would run the network again.
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>Runs the sample; returns the held-out accuracy.</summary>
    public static double Run(SampleData data)
    {
        var ml = new MLContext(seed: 1);
        using var network = PriorNetwork.Load(data.ModelPath);
        IDataView images = ml.Data.LoadFromEnumerable(ZeroShotSample.Images(ml, data));
        var split = ml.Data.TrainTestSplit(images, testFraction: 0.3, seed: 1);

        var model = Pipeline(ml, network).Fit(split.TrainSet);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
        Console.WriteLine($"linear probe on PRIOR embeddings: held-out accuracy {metrics.MicroAccuracy:0.000} (chance 0.200)");
        return metrics.MicroAccuracy;
    }
}
