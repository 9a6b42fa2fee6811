using System.CommandLine;
using System.Text.Json;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Downstream;
using Prior.MLNet.IO;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior segment</c>: pneumothorax segmentation on SIIM-ACR with a U-Net on PRIOR's ResNet, fine-tuned on a fraction
/// of the training images, against the same network from random weights at the same budget and seeds.
/// </summary>
internal static class SegmentCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description =
                "A SIIM-ACR Pneumothorax folder: stage_2_train.csv or train-rle.csv and the images as downloaded "
                + "(dicom-images-train/STUDY/SERIES/IMAGEID.dcm) or converted to PNG or JPEG at their size "
                + "(e.g. DIR/siim-acr-pneumothorax from prior synth --downstream-images).",
            Required = true,
        };
        var annotationSize = AnnotationSize.Create();
        var shared = new FineTuningCommandOptions(defaultFraction: 0.1, newPart: "the decoder");
        var json = new Option<string?>("--json")
        {
            Description =
                "Write dice, baselineDice (mean over seeds), their standard deviations, Dice and IoU on positives, both arms' Dice "
                + "without the minimum mask size (diceWithoutMinimumSize, baselineDiceWithoutMinimumSize), per-seed figures.",
        };
        var report = new Option<string?>("--report")
        {
            Description =
                "A folder for segmentation-overlays.png: the first seed's predictions on three test images with pneumothorax and three "
                + "without, both arms (true mask green, predicted red, agreement yellow).",
        };
        var command = new Command(
            "segment",
            $"Segment pneumothorax on SIIM-ACR with a U-Net on PRIOR's ResNet against random initialisation; "
                + $"{Evaluations.SegmentationTestShare:P0} of the images are held out (example: prior segment --data "
                + $"out/data/siim-acr-pneumothorax --model out/demo/prior-tiny.zip --fraction 0.1)."
        )
        {
            data,
            annotationSize,
        };
        shared.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(report);
        command.SetAction(parse => CommandRunner.Run("segment", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(shared.Model)!);
                double share = shared.FractionOf(parse);
                var seedList = shared.SeedsOf(parse);
                var (pretrained, baseline, test) = Evaluations.Segment(
                    network,
                    parse.GetValue(data)!,
                    share,
                    seedList,
                    parse.GetValue(shared.Epochs),
                    parse.GetValue(shared.Freeze),
                    Console.WriteLine,
                    annotationSize: parse.GetValue(annotationSize)
                );
                if (parse.GetValue(report) is { } folder)
                    WriteOverlays(Path.GetFullPath(folder), test, pretrained[0], baseline[0], network.ImageSize);
                var dice = FineTuningCommandOptions.MeanAndSd(pretrained.Select(r => r.Dice).ToList());
                var baseDice = FineTuningCommandOptions.MeanAndSd(baseline.Select(r => r.Dice).ToList());
                var positives = FineTuningCommandOptions.MeanAndSd(pretrained.Select(r => r.DiceOnPositives).ToList());
                var basePositives = FineTuningCommandOptions.MeanAndSd(baseline.Select(r => r.DiceOnPositives).ToList());
                Console.WriteLine(
                    $"{share:P0} of the training images ({seedList.Count} seeds, {parse.GetValue(shared.Epochs)} epochs, "
                        + $"{shared.TrainingOf(parse)}): "
                        + $"Dice {dice.Mean:0.000} ± {dice.Sd:0.000} from PRIOR, {baseDice.Mean:0.000} ± {baseDice.Sd:0.000} from random "
                        + $"weights; on positives {positives.Mean:0.000} against {basePositives.Mean:0.000}"
                );
                if (parse.GetValue(json) is { } path)
                    AtomicFile.WriteText(path, w => w.Write(
                            JsonSerializer.Serialize(
                                new Dictionary<string, object>
                                {
                                    ["dice"] = dice.Mean,
                                    ["diceSd"] = dice.Sd,
                                    ["baselineDice"] = baseDice.Mean,
                                    ["baselineDiceSd"] = baseDice.Sd,
                                    ["diceOnPositives"] = positives.Mean,
                                    ["baselineDiceOnPositives"] = basePositives.Mean,
                                    ["iouOnPositives"] = pretrained.Average(r => r.IoUOnPositives),
                                    ["baselineIouOnPositives"] = baseline.Average(r => r.IoUOnPositives),
                                    ["diceWithoutMinimumSize"] = pretrained.Average(r => r.DiceWithoutMinimum),
                                    ["baselineDiceWithoutMinimumSize"] = baseline.Average(r => r.DiceWithoutMinimum),
                                    ["perSeedDice"] = pretrained.Select(r => r.Dice).ToList(),
                                    ["perSeedBaselineDice"] = baseline.Select(r => r.Dice).ToList(),
                                    ["fraction"] = share,
                                    ["seeds"] = seedList,
                                }
                            )
                        ));
                return 0;
            }));
        return command;
    }

    private static void WriteOverlays(
        string folder,
        IReadOnlyList<SegmentationFineTuning.Example> test,
        SegmentationFineTuning.Result pretrained,
        SegmentationFineTuning.Result baseline,
        int size
    )
    {
        Directory.CreateDirectory(folder);
        var positives = Enumerable.Range(0, test.Count).Where(i => pretrained.Truths[i].Contains((byte)1)).Take(3);
        var negatives = Enumerable.Range(0, test.Count).Where(i => !pretrained.Truths[i].Contains((byte)1)).Take(3);
        var preprocessor = new ImagePreprocessor(size, mean: 0, std: 1);
        var panels = positives
            .Concat(negatives)
            .Select(i =>
            {
                var gray = preprocessor.Load(test[i].ImagePath, null).Select(v => (byte)Math.Clamp(v * 255, 0, 255)).ToArray();
                var truth = pretrained.Truths[i];
                return (
                    gray,
                    size,
                    truth,
                    (IReadOnlyList<(string, byte[], double)>)
                        [
                            ("PRIOR", pretrained.Predictions[i], Evaluation.SegmentationMetrics.Dice(pretrained.Predictions[i], truth)),
                            ("random", baseline.Predictions[i], Evaluation.SegmentationMetrics.Dice(baseline.Predictions[i], truth)),
                        ]
                );
            })
            .ToList();
        var path = Path.Combine(folder, "segmentation-overlays.png");
        Report.Charts.SegmentationOverlays(path, panels);
        Console.WriteLine($"overlays: {path}");
    }
}
