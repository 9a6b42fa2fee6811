using System.Diagnostics;
using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Modeling;
using Prior.MLNet.Synthetic;
using Prior.MLNet.Text;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The memory part of <c>prior bench</c>: the process's resident memory at the end of each epoch of a tiny-preset
/// training (stage 1, synthetic data), after a full garbage collection, and the growth from epoch 2 to the last: a leak
/// of tensors or batches shows as growth, a flat line as ~0 %.
/// </summary>
internal static class MemoryBenchmark
{
    /// <summary>
    /// The synthetic install the memory, inference and pipeline parts share (400 studies, 64 px unless asked, in
    /// <c>memory-data</c> under <paramref name="folder"/>, or <c>memory-data-S</c> for another size, written once), its
    /// studies and a vocabulary built from them.
    /// </summary>
    public static (IReadOnlyList<TrainingStudy> Studies, string Vocabulary) Data(string folder, int imageSize = 64)
    {
        var root = Path.Combine(folder, imageSize == 64 ? "memory-data" : $"memory-data-{imageSize}");
        if (!File.Exists(Path.Combine(root, "synth-manifest.json")))
            SyntheticDatasetGenerator.Generate(
                new SyntheticDatasetOptions
                {
                    OutputDirectory = root,
                    Studies = 400,
                    CheXpertImages = 0,
                    ImageSize = imageSize,
                    Seed = 3,
                }
            );
        var view = new MLContext(seed: 1).Data.LoadMimicCxr(root);
        var studies = TrainingStudies.FromDataView(
            view,
            MimicCxrColumns.ImagePaths,
            MimicCxrColumns.Sentences,
            new DataLoadSummary(),
            MimicCxrColumns.StudyId
        );
        var vocabulary = Path.Combine(root, "vocab.txt");
        WordPieceVocabularyBuilder.Write(WordPieceVocabularyBuilder.Build(studies.SelectMany(s => s.Sentences)), vocabulary);
        return (studies, vocabulary);
    }

    public static void Run(int epochs, string folder, Dictionary<string, object> figures)
    {
        var (studies, vocabulary) = Data(folder);
        var defaults = PriorTrainerOptions.ForPreset("tiny");
        Console.WriteLine(
            $"Process memory at each epoch's end, tiny preset, {studies.Count} studies, batch {defaults.BatchSize}, CPU (MB), after a "
                + $"full collection; "
                + "then the same training with the C library's free memory handed back (malloc_trim) before each reading:"
        );
        foreach (bool trim in new[] { false, true })
        {
            var (resident, managed) = Train(studies, vocabulary, defaults, epochs, trim);
            double growth = resident[^1] / resident[Math.Min(1, resident.Count - 1)] - 1;
            Console.WriteLine($"  {(trim ? "trimmed" : "as is"), -8} {string.Join(" ", resident.Select(r => r.ToString("0")))}");
            Console.WriteLine(
                $"  {"", -8} epoch {resident.Count} against epoch 2: {growth:+0.0%;-0.0%} (managed heap: "
                    + $"{string.Join(" ", managed.Select(m => m.ToString("0")))} MB)"
            );
            figures[trim ? "memoryGrowthTrimmed" : "memoryGrowth"] = growth;
            figures[trim ? "memoryEpochsTrimmedMb" : "memoryEpochsMb"] = resident;
        }
    }

    private static (List<double> Resident, List<double> Managed) Train(
        IReadOnlyList<TrainingStudy> studies,
        string vocabulary,
        PriorTrainerOptions defaults,
        int epochs,
        bool trim
    )
    {
        var resident = new List<double>();
        var managed = new List<double>();
        TrainStage1(studies, vocabulary, defaults, epochs, p =>
        {
            if (p.Step + 1 == p.StepsPerEpoch)
            {
                // After a full collection: what is still held, not garbage the next collection would free.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                if (trim)
                    NativeHeap.ReleaseFreeMemory();
                using var self = Process.GetCurrentProcess();
                resident.Add(self.WorkingSet64 / 1e6);
                managed.Add(GC.GetTotalMemory(false) / 1e6);
            }
        });
        return (resident, managed);
    }

    /// <summary>
    /// Stage 1 for <paramref name="epochs"/> epochs on the CPU with <paramref name="preset"/>'s model, batch and schedule,
    /// seed 1, reporting each step to <paramref name="progress"/>; the trained model is discarded. The memory and
    /// pipeline parts' training.
    /// </summary>
    public static void TrainStage1(
        IReadOnlyList<TrainingStudy> studies,
        string vocabulary,
        PriorTrainerOptions preset,
        int epochs,
        Action<TrainingProgress> progress,
        bool prebuildBatches = false
    )
    {
        var result = new PriorTrainer(
            new PriorTrainerOptions
            {
                Model = preset.Model,
                EpochsPerStage = [epochs, 0, 0],
                BatchSize = preset.BatchSize,
                PeakLearningRates = preset.PeakLearningRates,
                StartLearningRates = preset.StartLearningRates,
                WarmupEpochs = preset.WarmupEpochs,
                Device = ComputeDevice.Cpu,
                Seed = 1,
                PrebuildBatches = prebuildBatches,
                Progress = progress,
            }
        ).Train(studies, new ReportTokenizer(vocabulary, preset.Model.MaxTokens));
        result.Model.Dispose();
    }
}
