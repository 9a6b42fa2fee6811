using Prior.MLNet.Data.CheXpert;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Synthetic;

namespace Prior.MLNet.Samples;

/// <summary>
/// The files every sample reads, made once in a work folder by the synthetic generator in the real on-disk layouts:
/// point the same paths at a real MIMIC-CXR-JPG and CheXpert install and the samples run unchanged.
/// </summary>
/// <param name="Work">The work folder.</param>
/// <param name="MimicIndex">PRIOR's pretraining index of the MIMIC-CXR studies (JSON Lines, gzip).</param>
/// <param name="CheXpertRoot">The CheXpert folder (train.csv, valid.csv, images).</param>
/// <param name="ZeroShotCsv">A CheXpert 5 x N subset: one of the five competition labels per image.</param>
public sealed record SampleData(string Work, string MimicIndex, string CheXpertRoot, string ZeroShotCsv)
{
    /// <summary>The model the pretraining sample writes and the other samples read.</summary>
    public string ModelPath => Path.Combine(Work, "prior-tiny.zip");

    /// <summary>Writes (or reuses) the synthetic data under <paramref name="work"/>.</summary>
    /// <param name="work">The work folder.</param>
    /// <param name="studies">Synthetic MIMIC-CXR studies.</param>
    /// <param name="perClass">Images per class in the zero-shot subset.</param>
    public static SampleData Prepare(string work, int studies = 400, int perClass = 40)
    {
        var data = Path.Combine(work, "data");
        var index = Path.Combine(work, "mimic-index.jsonl.gz");
        var subset = Path.Combine(work, "chexpert_5x" + perClass + ".csv");
        var chexpert = Path.Combine(data, CheXpertColumns.DatasetFolder);
        if (!File.Exists(subset))
        {
            Console.WriteLine($"writing {studies} synthetic MIMIC-CXR studies and a CheXpert set to {data}");
            SyntheticDatasetGenerator.Generate(
                new SyntheticDatasetOptions
                {
                    OutputDirectory = data,
                    Studies = studies,
                    CheXpertImages = 12 * perClass,
                    ImageSize = 64,
                }
            );
            MimicCxrIndex.Write(MimicCxrLoaderOptions.FromRoot(data), index);
            CheXpertZeroShotSubset.Build(chexpert, subset, perClass);
        }
        return new SampleData(work, index, chexpert, subset);
    }
}
