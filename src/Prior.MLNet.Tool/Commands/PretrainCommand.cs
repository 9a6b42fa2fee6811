using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using Prior.MLNet.Data;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior pretrain</c>: trains PRIOR on a MIMIC-CXR root or index and writes a model file.</summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "MIMIC-CXR root (as 'prior synth' writes it) or an index from 'prior mimic-index'.",
            Required = true,
        };
        var preset = EnumOption.Create("--preset", "Model and schedule preset", Defaults.Preset);
        var output = new Option<string>("--out") { Description = "Model file to write (.zip).", Required = true };
        var epochs = new Option<string?>("--epochs") { Description = "Epochs of stages 1,2,3, e.g. 8,3,3 (0 skips a stage)." };
        var batch = new Option<int?>("--batch-size") { Description = "Studies per batch." };
        var device = EnumOption.Create("--device", "Where the network trains", ComputeDevice.Auto, ("gpu", ComputeDevice.Cuda));
        var checkpoints = new Option<string?>("--checkpoints") { Description = "Checkpoint folder." };
        var every = new Option<int>("--checkpoint-every")
        {
            Description = "Checkpoint every N steps (and at stage ends).",
            DefaultValueFactory = _ => new PriorPretrainOptions().CheckpointEverySteps,
        };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest checkpoint in --checkpoints." };
        var seed = new Option<long>("--seed") { Description = "Seed.", DefaultValueFactory = _ => Defaults.Seed };
        var vocab = new Option<string?>("--vocab")
        {
            Description = "A vocab.txt (e.g. Bio_ClinicalBERT's); default: built from the training reports.",
        };
        var initImage = new Option<string?>("--init-image")
        {
            Description = "Start the image tower from prior_resnet50.pt or torchvision's ImageNet ResNet weights.",
        };
        var initText = new Option<string?>("--init-text")
        {
            Description =
                "Start the text tower from a Hugging Face BERT folder (e.g. Bio_ClinicalBERT); its vocab.txt and casing are used.",
        };
        var partial = new Option<bool>("--allow-partial")
        {
            Description = "Accept initial weights that leave more than the attention pool random (listed).",
        };
        var bankStart = EnumOption.Create(
            "--bank-start",
            "How the sentence bank starts at stage 2: random (the original's) or kmeans (clusters of the stage-1 sentence vectors)",
            PrototypeInitialization.Random
        );
        var restart = new Option<bool>("--restart-unused")
        {
            Description = "Move prototypes no sentence chose in an epoch of stages 2-3 onto the sentences the bank serves worst.",
        };
        var schedule = EnumOption.Create(
            "--schedule",
            "Learning rate across stages: per-stage (the original's: warm-up and cosine decay in each stage) or continuous (one warm-up "
                + "and decay over all stages)",
            StageSchedule.PerStage
        );
        var gradients = new Option<bool>("--gradient-shares")
        {
            Description =
                "At each epoch's first step, print each loss term's gradient norm on the two towers and its cosine with the global term's.",
        };
        var detach = new Option<bool>("--detach-generation-targets")
        {
            Description =
                "Stage 3's generation losses (spg, kl, gpa) leave the report side as a fixed target instead of moving the text tower.",
        };
        var rawGlobal = new Option<bool>("--keep-raw-global")
        {
            Description = "Keep stage 1's global alignment of the raw (bank-free) report embedding in stages 2-3.",
        };
        var rawLocal = new Option<bool>("--keep-raw-local")
        {
            Description =
                "Keep stage 1's local alignment on the raw sentence vectors in stages 2-3 (what zero-shot scoring runs without the bank).",
        };
        var shield = new Option<bool>("--shield-text-tower")
        {
            Description = "In stages 2-3 nothing that goes through the bank moves the text tower (use with --keep-raw-global).",
        };
        var imageGradient = new Option<double>("--prototype-path-image-gradient")
        {
            Description = "Factor (0 to 1) on the image tower's gradient from the global term through the bank in stages 2-3.",
            DefaultValueFactory = _ => 1,
        };
        var decoupled = new Option<bool>("--decoupled")
        {
            Description =
                "Stages 2-3 train only the bank and the decoders, on detached features; the towers keep stage 1's terms (implies the "
                + "four switches above and a prototype-path image gradient of 0).",
        };
        var bankLogits = EnumOption.Create(
            "--bank-logits",
            "How the sentence bank scores sentences: dot (the original's x·e) or centered-cosine (scaled cosine around the mean of the "
                + "stage-1 sentences the bank starts from; with --detach-generation-targets and --bank-start kmeans it keeps the bank "
                + "from collapsing)",
            PrototypeLogits.DotProduct,
            ("dot", PrototypeLogits.DotProduct)
        );
        var bankLogitScale = new Option<double>("--bank-logit-scale")
        {
            Description = "Scale of centered-cosine bank logits.",
            DefaultValueFactory = _ => 10,
        };
        var keepOptimizer = new Option<bool>("--keep-optimizer")
        {
            Description = "One optimizer for the whole run: stage 1's moments carry into stages 2-3 instead of a fresh AdamW per stage.",
        };
        var recipe = EnumOption.Create(
            "--recipe",
            "original (the paper's stages; every switch as given) or decoupled (what prior demo trains: --decoupled --keep-optimizer "
                + "--schedule continuous "
                + "--bank-start kmeans --restart-unused --bank-logits centered-cosine; a switch given explicitly still wins). See "
                + "docs/training.md",
            PriorRecipe.Original
        );
        var cache = new Option<string>("--image-cache")
        {
            Description =
                "auto (a prior-image-cache-*.bin in --data at least the preset's image size, when there is one), none, or a cache file "
                + "written by 'prior cache'.",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command(
            "pretrain",
            "Pretrain PRIOR (three stages) on MIMIC-CXR studies (example: prior pretrain --data data --preset tiny --out tiny.zip)."
        )
        {
            data,
            preset,
            output,
            epochs,
            batch,
            device,
            checkpoints,
            every,
            resume,
            seed,
            vocab,
            initImage,
            initText,
            partial,
            bankStart,
            restart,
            schedule,
            gradients,
            detach,
            rawGlobal,
            rawLocal,
            shield,
            imageGradient,
            decoupled,
            bankLogits,
            bankLogitScale,
            keepOptimizer,
            recipe,
            cache,
        };
        command.SetAction(parse => CommandRunner.Run("pretrain", () =>
            {
                // One path with the API: the command binds its options to PriorPretrainOptions and fits PriorPretrain.
                var ml = new MLContext(seed: 1);
                var found = MimicCxrLoaderOptions.FromRoot(parse.GetValue(data)!);
                IDataView Load(IReadOnlyList<string> splits, out DataLoadSummary loadSummary) =>
                    ml.Data.LoadMimicCxr(found with { Splits = splits }, out loadSummary);
                // The train split (everything when the install has no split table); validate and test are held out.
                var train = Load(["train", ""], out var loadSummary);
                var heldOut = TrainingStudies.FromDataView(
                    Load(["validate", "test"], out _),
                    MimicCxrColumns.ImagePaths,
                    MimicCxrColumns.Sentences,
                    new DataLoadSummary(),
                    MimicCxrColumns.StudyId
                );

                // A switch left off the command line is the recipe's (null); one given explicitly wins.
                T? Given<T>(Option<T> option)
                    where T : struct => parse.GetResult(option) is null or { Implicit: true } ? null : parse.GetValue(option);

                var presetChoice = parse.GetValue(preset);
                var defaults = PriorTrainerOptions.ForPreset(presetChoice);
                var stageEpochs = parse.GetValue(epochs) is { } e
                    ? e.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray()
                    : defaults.EpochsPerStage.ToArray();
                if (parse.GetValue(initText) is not null && parse.GetValue(vocab) is not null)
                    throw new ArgumentException("--init-text brings its own vocab.txt; leave out --vocab.");
                LiveProgress? live = null;
                var options = new PriorPretrainOptions
                {
                    Preset = presetChoice,
                    EpochsPerStage = stageEpochs,
                    BatchSize = parse.GetValue(batch),
                    Device = parse.GetValue(device),
                    Seed = parse.GetValue(seed),
                    CheckpointDirectory = parse.GetValue(checkpoints),
                    CheckpointEverySteps = parse.GetValue(every),
                    Resume = parse.GetValue(resume),
                    VocabularyPath = parse.GetValue(vocab),
                    InitialImageWeights = parse.GetValue(initImage),
                    InitialTextWeights = parse.GetValue(initText),
                    AllowPartialInitialWeights = parse.GetValue(partial),
                    Recipe = parse.GetValue(recipe),
                    DetachGenerationTargets = parse.GetValue(detach),
                    KeepRawGlobalAlignment = parse.GetValue(rawGlobal),
                    KeepRawLocalAlignment = parse.GetValue(rawLocal),
                    ShieldTextTowerFromBank = parse.GetValue(shield),
                    PrototypePathImageGradient = parse.GetValue(imageGradient),
                    DecoupledPrototypeStages = Given(decoupled),
                    PrototypeLogits = Given(bankLogits),
                    PrototypeLogitScale = parse.GetValue(bankLogitScale),
                    KeepOptimizerStateAcrossStages = Given(keepOptimizer),
                    PrototypeInitialization = Given(bankStart),
                    RestartUnusedPrototypes = Given(restart),
                    StageSchedule = Given(schedule),
                    MeasureGradientShares = parse.GetValue(gradients),
                    ImageCache = FindCache(parse.GetValue(cache)!, parse.GetValue(data)!, defaults.Model.ImageSize),
                    // A live bar over all steps on a terminal; one line per epoch (and the trainer's notices) in any case.
                    Notice = text => Log(live, text),
                    Progress = p =>
                    {
                        live?.ReportTraining(p, stageEpochs);
                        if (p.Step + 1 == p.StepsPerEpoch)
                            Log(live, p.ToString());
                    },
                };
                var estimator = ml.Transforms.PriorPretrain(options); // validates every option before any data is read
                if (options.InitialTextWeights is { } bert)
                {
                    var folder = new Prior.MLNet.Interop.HuggingFaceBertFolder(bert);
                    Console.WriteLine(
                        $"text tower from {bert}: {folder.Config.NumHiddenLayers} layers of {folder.Config.HiddenSize}, "
                            + $"{(folder.LowerCase ? "uncased" : "cased")} ({folder.CasingSource})"
                    );
                }
                // The estimator says how many studies it trains on as it reads them (a notice); counting here would read them twice.
                Console.WriteLine($"studies: {heldOut.Count} held out (data: {loadSummary})");
                var outPath = Path.GetFullPath(parse.GetValue(output)!);
                using var fitted = LiveProgress.Run(
                    "pretrain",
                    "steps",
                    0,
                    progress =>
                    {
                        live = progress;
                        return estimator.Fit(train);
                    },
                    milestones: false
                );
                live = null;
                var result = fitted.TrainingResult!;
                foreach (var report in result.InitialWeights)
                    Console.WriteLine(report.Describe());
                var network = fitted.Network;
                // An ML.NET model zip (a PriorPretrain transformer): mlContext.Model.Load, 'prior apply' and every command read it.
                network.Save(outPath);
                if (result.SkippedSamples.Count > 0)
                    Console.WriteLine($"skipped samples: {result.SkippedSamples.Count}, e.g. {result.SkippedSamples[0]}");
                if (heldOut.Count >= 2)
                {
                    var retrieval = Retrieval.Evaluate(
                        network.Model,
                        network.Tokenizer,
                        network.ImagePreprocessor,
                        heldOut,
                        network.UsePrototypes
                    );
                    Console.WriteLine(
                        $"held-out retrieval ({heldOut.Count} studies): image->text P@1 {retrieval.ImageToTextP1:0.000}, P@5 "
                            + $"{retrieval.ImageToTextP5:0.000}, text->image P@1 {retrieval.TextToImageP1:0.000}, chance "
                            + $"{retrieval.Chance:0.000}"
                    );
                }
                Console.WriteLine($"written to {outPath}");
                return 0;
            }));
        return command;
    }

    private static void Log(LiveProgress? live, string text)
    {
        if (live is null)
            Console.WriteLine(text);
        else
            live.Line(text);
    }

    // auto: the smallest cache in the data root whose side is at least the network's image size.
    internal static string? FindCache(string choice, string dataRoot, int imageSize)
    {
        if (choice == "none")
            return null;
        if (choice != "auto")
            return choice;
        if (!Directory.Exists(dataRoot))
            return null;
        return Directory
            .EnumerateFiles(dataRoot, "prior-image-cache-*.bin")
            .Select(path =>
                (path, side: int.TryParse(Path.GetFileNameWithoutExtension(path)["prior-image-cache-".Length..], out var s) ? s : 0)
            )
            .Where(c => c.side >= imageSize)
            .OrderBy(c => c.side)
            .Select(c => c.path)
            .FirstOrDefault();
    }
}
