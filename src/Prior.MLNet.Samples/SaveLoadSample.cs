using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples;

/// <summary>
/// A whole pipeline (PRIOR embedding and an ML.NET trainer) saved as one ML.NET model zip, weights included, loaded in a
/// fresh MLContext and used through a PredictionEngine.
/// </summary>
public static class SaveLoadSample
{
    /// <summary>What the PredictionEngine reads: the columns the pipeline was fitted on (the label is not used to predict).</summary>
    public sealed class Input
    {
        /// <summary>The image file.</summary>
        public string ImagePath { get; set; } = "";

        /// <summary>The label column the pipeline's first step maps; any value.</summary>
        public string Label { get; set; } = "";
    }

    /// <summary>What the PredictionEngine writes.</summary>
    public sealed class Prediction
    {
        /// <summary>The predicted class.</summary>
        [ColumnName("PredictedLabel")]
        public string Label { get; set; } = "";
    }

    /// <summary>Runs the sample; returns how many predictions of the loaded pipeline equal the original's.</summary>
    public static (int Same, int Total) Run(SampleData data)
    {
        var ml = new MLContext(seed: 1);
        var rows = ZeroShotSample.Images(ml, data);
        IDataView images = ml.Data.LoadFromEnumerable(rows);
        var pipelinePath = Path.Combine(data.Work, "pipeline.zip");
        List<Prediction> original;
        using (var network = PriorNetwork.Load(data.ModelPath))
        {
            var model = EmbeddingsIntoTrainerSample.Pipeline(ml, network).Fit(images);
            ml.Model.Save(model, images.Schema, pipelinePath); // the network is stored inside, once
            // A network passed to a catalog method stays the caller's: use the fitted pipeline before disposing it.
            original = ml.Data.CreateEnumerable<Prediction>(model.Transform(images), reuseRowObject: false).ToList();
        }

        // Anywhere else, later: no registration call, no other file.
        var fresh = new MLContext();
        var loaded = fresh.Model.Load(pipelinePath, out _);
        var engine = fresh.Model.CreatePredictionEngine<Input, Prediction>(loaded);
        int same = rows.Select((r, i) => engine.Predict(new Input { ImagePath = r.ImagePath }).Label == original[i].Label ? 1 : 0).Sum();
        Console.WriteLine($"saved to {pipelinePath}; the loaded pipeline predicts as the original for {same} of {rows.Count} images");
        (loaded as IDisposable)?.Dispose(); // a loaded pipeline owns its network
        return (same, rows.Count);
    }
}
