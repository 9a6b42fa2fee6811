using Microsoft.ML;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples;

/// <summary>Pretrains PRIOR on MIMIC-CXR studies with <c>mlContext.Transforms.PriorPretrain</c> and saves the model.</summary>
public static class PretrainSample
{
    /// <summary>Runs the sample; returns where the model was written.</summary>
    /// <param name="data">The sample data.</param>
    /// <param name="epochsPerStage">Epochs of stages 1, 2, 3.</param>
    public static string Run(SampleData data, int[] epochsPerStage)
    {
        var ml = new MLContext(seed: 1);
        // One row per study: image paths, sentences, FINDINGS and IMPRESSION; the train split only.
        IDataView studies = ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = data.MimicIndex, Splits = ["train"] });

        using PriorPretrainTransformer pretrained = ml
            .Transforms.PriorPretrain(
                new PriorPretrainOptions
                {
                    Preset = PriorPreset.Tiny, // Tiny | Small | Paper
                    EpochsPerStage = epochsPerStage,
                    Recipe = PriorRecipe.Decoupled, // stages 2-3 beside the towers (docs/training.md); Original: the paper's
                    Device = ComputeDevice.Auto, // CUDA when present
                    Progress = p =>
                    {
                        if (p.Step + 1 == p.StepsPerEpoch)
                            Console.WriteLine($"  {p}");
                    },
                }
            )
            .Fit(studies);

        // The model file: an ML.NET model zip that every other sample (and every 'prior' command) reads.
        pretrained.Network.Save(data.ModelPath);
        Console.WriteLine($"pretrained on {pretrained.LoadSummary!.Accepted} studies, saved to {data.ModelPath}");
        return data.ModelPath;
    }
}
