using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.IO;
using Prior.MLNet.Modeling;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Experiments;

/// <summary>
/// <c>prior ablate</c>: what PRIOR's stages 2–3 are worth on the demo's data, at equal total epochs, over seeds.
/// Each arm trains through <c>mlContext.Transforms.PriorPretrain</c> as the demo does and is scored on zero-shot
/// 5x200 and held-out retrieval, with the sentence bank at inference and without it. Runs are appended to
/// <c>runs.jsonl</c> as they finish, so an interrupted ablation continues where it stopped.
/// </summary>
internal static class AblateCommand
{
    /// <summary>One arm: a name, its stage epochs and its bank settings.</summary>
    internal sealed record Arm(
        string Name,
        int[] Epochs,
        int? Prototypes,
        PrototypeInitialization Initialization,
        bool Restart,
        string Description,
        double[]? PeakLearningRates = null,
        StageSchedule Schedule = StageSchedule.PerStage,
        bool DetachTargets = false,
        bool RawGlobal = false,
        bool RawLocal = false,
        bool Shield = false,
        double ImageGradient = 1,
        bool Decoupled = false,
        bool KeepOptimizer = false,
        PrototypeLogits Logits = PrototypeLogits.DotProduct
    )
    {
        /// <summary>The <c>PriorPretrain</c> options of this arm on the tiny preset (the demo's and the ablation's one mapping).</summary>
        internal PriorPretrainOptions ToOptions(
            int? imageSize = null,
            Action<string>? notice = null,
            Action<TrainingProgress>? progress = null,
            bool gradientShares = false
        ) =>
            new()
            {
                Preset = PriorPreset.Tiny,
                ImageSize = imageSize,
                EpochsPerStage = Epochs,
                Device = ComputeDevice.Auto,
                Prototypes = Prototypes,
                PrototypeInitialization = Initialization,
                RestartUnusedPrototypes = Restart,
                PeakLearningRates = PeakLearningRates,
                StageSchedule = Schedule,
                DetachGenerationTargets = DetachTargets,
                KeepRawGlobalAlignment = RawGlobal,
                KeepRawLocalAlignment = RawLocal,
                ShieldTextTowerFromBank = Shield,
                PrototypePathImageGradient = ImageGradient,
                DecoupledPrototypeStages = Decoupled,
                KeepOptimizerStateAcrossStages = KeepOptimizer,
                PrototypeLogits = Logits,
                MeasureGradientShares = gradientShares,
                Notice = notice,
                Progress = progress,
            };
    }

    /// <summary>One finished run.</summary>
    /// <remarks>BankUsed and BankPerplexity count training's Gumbel-noisy choices; the NoiseFree pair inference's
    /// (NaN in runs recorded before they were counted).</remarks>
    internal sealed record Run(
        string Arm,
        long Seed,
        double ZeroShot,
        double ZeroShotBank,
        double P1,
        double P1Bank,
        double BankPerplexity,
        int BankUsed,
        int BankSize,
        double Seconds,
        double BankUsedNoiseFree = double.NaN,
        double BankPerplexityNoiseFree = double.NaN
    );

    // NaN marks a figure an arm does not have (the bank's, for stage 1 alone).
    private static readonly JsonSerializerOptions RunJson = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The arms at a total of <paramref name="total"/> epochs split as <paramref name="split"/> for the three-stage
    /// ones.</summary>
    internal static IReadOnlyList<Arm> Arms(int total, int[] split, int prototypes)
    {
        if (split.Length != 3 || split.Sum() != total || split.Any(e => e < 0))
            throw new ArgumentException(
                $"--split must be three epoch counts that add up to --epochs {total}; got {string.Join(",", split)}."
            );
        return
        [
            new("stage1", [total, 0, 0], null, PrototypeInitialization.Random, false, $"stage 1 only, {total} epochs"),
            new(
                "original",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                $"three stages {string.Join("+", split)}, the original's bank (N(0,1) start, no restarts, the preset's size)"
            ),
            new(
                "kmeans",
                split,
                null,
                PrototypeInitialization.KMeans,
                true,
                $"three stages {string.Join("+", split)}, k-means start and restarts of unused prototypes"
            ),
            new("ours", split, prototypes, PrototypeInitialization.KMeans, true, $"as kmeans, with a bank of {prototypes} prototypes"),
            new(
                "gentle",
                split,
                prototypes,
                PrototypeInitialization.KMeans,
                true,
                $"as ours, with stage 2-3 peak learning rates 1e-4 and 5e-5 (the preset's: 5e-4, 2e-4)",
                [1e-3, 1e-4, 5e-5]
            ),
            new(
                "continuous",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                $"as original, with one warm-up and cosine decay over all {total} epochs (stage 1's peak) instead of one per stage",
                Schedule: StageSchedule.Continuous
            ),
            new(
                "detached",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as original, with stage 3's generation losses leaving the text side as a fixed target",
                DetachTargets: true
            ),
            new(
                "detached-kmeans",
                split,
                null,
                PrototypeInitialization.KMeans,
                true,
                "as kmeans, with stage 3's generation losses leaving the text side as a fixed target",
                DetachTargets: true
            ),
            new(
                "rawglobal",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as detached, keeping stage 1's global alignment of the raw report embedding in stages 2-3",
                DetachTargets: true,
                RawGlobal: true
            ),
            new(
                "rawglobal-kmeans",
                split,
                null,
                PrototypeInitialization.KMeans,
                true,
                "as rawglobal, with the k-means start and restarts (the start that avoids stage 2's jump in the global loss)",
                DetachTargets: true,
                RawGlobal: true
            ),
            new(
                "original-gentle",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as original, with stage 2-3 peak learning rates 1e-4 and 5e-5 (the preset's: 5e-4, 2e-4), so stages 2-3 fine-tune stage "
                    + "1's towers instead of restarting near its rate",
                [1e-3, 1e-4, 5e-5]
            ),
            new(
                "rawglobal-gentle",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as rawglobal, with stage 2-3 peak learning rates 1e-4 and 5e-5",
                [1e-3, 1e-4, 5e-5],
                DetachTargets: true,
                RawGlobal: true
            ),
            new(
                "rawlocal",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as rawglobal, with the local alignment on the raw sentence vectors in stages 2-3 too (what zero-shot scoring runs "
                    + "without the bank)",
                DetachTargets: true,
                RawGlobal: true,
                RawLocal: true
            ),
            new(
                "rawlocal-continuous",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                $"as rawlocal, with one warm-up and cosine decay over all {total} epochs (stage 1's peak), so the towers follow stage "
                    + $"1's own schedule throughout",
                Schedule: StageSchedule.Continuous,
                DetachTargets: true,
                RawGlobal: true,
                RawLocal: true
            ),
            new(
                "shielded",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                $"as rawlocal-continuous, with the bank assigning detached sentence vectors: the text tower learns only stage 1's terms, "
                    + $"the bank's losses train the bank, the pooling and the image tower",
                Schedule: StageSchedule.Continuous,
                DetachTargets: true,
                RawGlobal: true,
                RawLocal: true,
                Shield: true
            ),
            new(
                "imageraw",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as shielded, with the image tower's gradient from the global term through the bank scaled by 0.1",
                Schedule: StageSchedule.Continuous,
                DetachTargets: true,
                RawGlobal: true,
                RawLocal: true,
                Shield: true,
                ImageGradient: 0.1
            ),
            new(
                "imageraw-keep",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as imageraw, with one optimizer for the whole run (stage 1's AdamW moments carry into stages 2-3)",
                Schedule: StageSchedule.Continuous,
                DetachTargets: true,
                RawGlobal: true,
                RawLocal: true,
                Shield: true,
                ImageGradient: 0.1,
                KeepOptimizer: true
            ),
            new(
                "decoupled",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "stages 2-3 train only the bank and the decoders on detached features, the towers (and pooling, local alignment, "
                    + "temperatures) keep exactly stage 1's terms; stage 1's schedule throughout",
                Schedule: StageSchedule.Continuous,
                Decoupled: true
            ),
            new(
                "decoupled-keep",
                split,
                null,
                PrototypeInitialization.Random,
                false,
                "as decoupled, with one optimizer for the whole run",
                Schedule: StageSchedule.Continuous,
                Decoupled: true,
                KeepOptimizer: true
            ),
            new(
                "cosine",
                split,
                null,
                PrototypeInitialization.KMeans,
                true,
                "as detached-kmeans, with the bank scoring sentences by scaled cosine around the mean of the sentences it starts from "
                    + "instead of the dot product",
                DetachTargets: true,
                Logits: PrototypeLogits.CenteredCosine
            ),
            new(
                "decoupled-cosine",
                split,
                null,
                PrototypeInitialization.KMeans,
                true,
                "as decoupled-keep, with the k-means start, restarts and the centred-cosine bank",
                Schedule: StageSchedule.Continuous,
                Decoupled: true,
                KeepOptimizer: true,
                Logits: PrototypeLogits.CenteredCosine
            ),
            new(
                "cosine-raw",
                split,
                null,
                PrototypeInitialization.KMeans,
                true,
                "as imageraw-keep without the shield and the image-gradient factor, with the k-means start, restarts and the "
                    + "centred-cosine bank: the towers keep stage 1's raw terms and also learn through a bank that is in use",
                Schedule: StageSchedule.Continuous,
                DetachTargets: true,
                RawGlobal: true,
                RawLocal: true,
                KeepOptimizer: true,
                Logits: PrototypeLogits.CenteredCosine
            ),
            new(
                "continuous-ours",
                split,
                prototypes,
                PrototypeInitialization.KMeans,
                true,
                $"as ours, with one warm-up and cosine decay over all {total} epochs",
                Schedule: StageSchedule.Continuous
            ),
        ];
    }

    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "Working folder (data, runs.jsonl, ablation.md).",
            DefaultValueFactory = _ => Path.Combine("out", "ablation"),
        };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds.", DefaultValueFactory = _ => "1,2,3" };
        var arms = new Option<string>("--arms")
        {
            Description =
                "Comma-separated arms: stage1, original, kmeans, ours, gentle, continuous, continuous-ours, detached, detached-kmeans, "
                + "rawglobal, rawglobal-kmeans, original-gentle, rawglobal-gentle, rawlocal, rawlocal-continuous, shielded, imageraw, "
                + "imageraw-keep, decoupled, decoupled-keep, cosine, decoupled-cosine, cosine-raw.",
            DefaultValueFactory = _ => "stage1,original,rawglobal",
        };
        var epochs = new Option<int>("--epochs") { Description = "Total epochs of every arm.", DefaultValueFactory = _ => 40 };
        var split = new Option<string>("--split")
        {
            Description = "Epochs of stages 1,2,3 for the three-stage arms.",
            DefaultValueFactory = _ => "32,4,4",
        };
        var prototypes = new Option<int>("--prototypes") { Description = "Bank size of the 'ours' arm.", DefaultValueFactory = _ => 128 };
        var studies = new Option<int>("--studies")
        {
            Description = "Synthetic MIMIC-CXR studies.",
            DefaultValueFactory = _ => new DemoCommand.Settings().Studies,
        };
        var json = new Option<string?>("--json") { Description = "Write the summary (mean and sd per arm) as JSON." };
        var command = new Command(
            "ablate",
            "Measure stages 2-3 against stage 1 alone at equal epochs, over seeds, with and without the bank at inference (example: "
                + "prior ablate --out out/ablation --seeds 1,2,3 --arms stage1,original,rawglobal)."
        )
        {
            output,
            seeds,
            arms,
            epochs,
            split,
            prototypes,
            studies,
            json,
        };
        command.SetAction(parse =>
            CommandRunner.Run(
                "ablate",
                () =>
                {
                    var all = Arms(parse.GetValue(epochs), ParseInts(parse.GetValue(split)!, "--split"), parse.GetValue(prototypes));
                    var chosen = parse
                        .GetValue(arms)!
                        .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                        .Select(a =>
                            all.FirstOrDefault(x => x.Name == a)
                            ?? throw new ArgumentException($"--arms: unknown arm '{a}'; use {string.Join(", ", all.Select(x => x.Name))}.")
                        )
                        .ToList();
                    var summary = Execute(
                        Path.GetFullPath(parse.GetValue(output)!),
                        chosen,
                        ParseInts(parse.GetValue(seeds)!, "--seeds").Select(s => (long)s).ToList(),
                        new DemoCommand.Settings(Studies: parse.GetValue(studies))
                    );
                    if (parse.GetValue(json) is { } path)
                        AtomicFile.WriteText(path, w =>
                            w.Write(JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }))
                        );
                    return 0;
                },
                program: "prior-experiments"
            )
        );
        return command;
    }

    private static int[] ParseInts(string text, string option)
    {
        try
        {
            return text.Split(',').Select(t => int.Parse(t.Trim(), CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{option} must be comma-separated integers, not '{text}'.");
        }
    }

    /// <summary>Runs every (arm, seed) not yet in runs.jsonl, then writes ablation.md; returns mean and sd per arm and figure.</summary>
    internal static Dictionary<string, Dictionary<string, double>> Execute(
        string root,
        IReadOnlyList<Arm> arms,
        IReadOnlyList<long> seeds,
        DemoCommand.Settings settings
    )
    {
        Directory.CreateDirectory(root);
        var prepared = DemoCommand.Prepare(root, settings, "data:", "index:");
        var runsPath = Path.Combine(root, "runs.jsonl");
        var runs = File.Exists(runsPath)
            ? File.ReadAllLines(runsPath).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<Run>(l, RunJson)!).ToList()
            : [];
        foreach (var seed in seeds)
        {
            foreach (var arm in arms)
            {
                if (runs.Any(r => r.Arm == arm.Name && r.Seed == seed))
                {
                    Console.WriteLine($"{arm.Name} seed {seed}: already in {runsPath}");
                    continue;
                }
                var run = Train(arm, seed, prepared);
                runs.Add(run);
                File.AppendAllText(runsPath, JsonSerializer.Serialize(run, RunJson) + "\n");
                Console.WriteLine(
                    $"{arm.Name} seed {seed}: zero-shot {run.ZeroShot:0.000} (bank {run.ZeroShotBank:0.000}), P@1 {run.P1:0.000} (bank "
                        + $"{run.P1Bank:0.000}), "
                        + $"bank {run.BankUsed}/{run.BankSize} used, perplexity {run.BankPerplexity:0.0} (noise-free "
                        + $"{run.BankUsedNoiseFree:0}, {run.BankPerplexityNoiseFree:0.0}), {run.Seconds:0} s"
                );
            }
        }
        var summary = new Dictionary<string, Dictionary<string, double>>();
        var md = new StringBuilder();
        md.AppendLine(
            $"Ablation on {settings.Studies} synthetic studies (tiny preset, {settings.ImageSize} px), seeds {string.Join(", ", seeds)}; "
                + $"mean ± sd."
        );
        md.AppendLine();
        md.AppendLine(
            "| arm | epochs | zero-shot acc. | zero-shot acc., bank | retrieval P@1 | retrieval P@1, bank | bank used (last epoch; "
                + "sampled) | usage perplexity (sampled) | bank used, noise-free | usage perplexity, noise-free |"
        );
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var arm in arms)
        {
            var mine = runs.Where(r => r.Arm == arm.Name && seeds.Contains(r.Seed)).ToList();
            if (mine.Count == 0)
                continue;
            var figures = new Dictionary<string, double>();
            string Cell(string key, Func<Run, double> value, string format = "0.000")
            {
                var values = mine.Select(value).ToList();
                if (values.All(double.IsNaN))
                    return "not recorded"; // runs from before the figure was counted
                double mean = values.Average(),
                    sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
                figures[key] = mean;
                figures[key + "Sd"] = sd;
                return $"{mean.ToString(format, CultureInfo.InvariantCulture)} ± {sd.ToString(format, CultureInfo.InvariantCulture)}";
            }
            bool bank = arm.Epochs[1] + arm.Epochs[2] > 0;
            md.AppendLine(
                $"| {arm.Name}: {arm.Description} | {string.Join("+", arm.Epochs)} | {Cell("zeroShot", r => r.ZeroShot)} | "
                    + $"{(bank ? Cell("zeroShotBank", r => r.ZeroShotBank) : "—")} | "
                    + $"{Cell("p1", r => r.P1)} | {(bank ? Cell("p1Bank", r => r.P1Bank) : "—")} | "
                    + $"{(bank ? Cell("bankUsed", r => r.BankUsed, "0.0") + $" of {mine[0].BankSize}" : "—")} | "
                    + $"{(bank ? Cell("perplexity", r => r.BankPerplexity, "0.0") : "—")} | "
                    + $"{(bank ? Cell("bankUsedNoiseFree", r => r.BankUsedNoiseFree, "0.0") : "—")} | "
                    + $"{(bank ? Cell("perplexityNoiseFree", r => r.BankPerplexityNoiseFree, "0.0") : "—")} |"
            );
            summary[arm.Name] = figures;
        }
        md.AppendLine();
        var split = arms.FirstOrDefault(a => a.Epochs[1] + a.Epochs[2] > 0)?.Epochs ?? arms[0].Epochs;
        md.Append(CultureInfo.InvariantCulture, $"Made by `prior ablate --out {Path.GetFileName(root)} --seeds {string.Join(",", seeds)} ");
        md.Append(CultureInfo.InvariantCulture, $"--arms {string.Join(",", arms.Select(a => a.Name))} --epochs {arms[0].Epochs.Sum()} ");
        md.AppendLine(CultureInfo.InvariantCulture, $"--split {string.Join(",", split)} --studies {settings.Studies}`.");
        AtomicFile.WriteText(Path.Combine(root, "ablation.md"), w => w.Write(md.ToString()));
        Console.WriteLine();
        Console.Write(md.ToString());
        return summary;
    }

    private static Run Train(Arm arm, long seed, DemoCommand.PreparedData data)
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"{arm.Name} seed {seed}: training {string.Join("+", arm.Epochs)} epochs ({arm.Description})");
        var ml = new MLContext(seed: (int)seed);
        var train = ml.Data.LoadMimicCxr(new MimicCxrLoaderOptions { IndexPath = data.Index, Splits = ["train"] });
        // One extra backward pass per term at each epoch's first step; the step itself is unchanged.
        using var fitted = ml
            .Transforms.PriorPretrain(arm.ToOptions(notice: n => Console.WriteLine($"    {n}"), gradientShares: true))
            .Fit(train);
        var network = fitted.Network;
        var last = fitted.TrainingResult!.PrototypeUsage.LastOrDefault();
        bool bank = arm.Epochs[1] + arm.Epochs[2] > 0;
        double zeroShot = ZeroShotCommand.Evaluate(network, data.CheXpert, data.Subset, null, usePrototypes: false, quiet: true).Accuracy;
        double zeroShotBank = bank
            ? ZeroShotCommand.Evaluate(network, data.CheXpert, data.Subset, null, usePrototypes: true, quiet: true).Accuracy
            : double.NaN;
        double p1 = Evaluations.Retrieval(network, data.Index, usePrototypes: false).ImageToTextP1;
        double p1Bank = bank ? Evaluations.Retrieval(network, data.Index, usePrototypes: true).ImageToTextP1 : double.NaN;
        return new Run(
            arm.Name,
            seed,
            zeroShot,
            zeroShotBank,
            p1,
            p1Bank,
            last?.Perplexity ?? double.NaN,
            last?.Used ?? 0,
            network.Model.Options.Prototypes,
            Math.Round(clock.Elapsed.TotalSeconds, 1),
            last?.UsedNoiseFree ?? double.NaN,
            last?.PerplexityNoiseFree ?? double.NaN
        );
    }
}
