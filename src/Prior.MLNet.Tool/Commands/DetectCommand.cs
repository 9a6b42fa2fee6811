using System.CommandLine;
using System.Text.Json;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Downstream;
using Prior.MLNet.Evaluation;
using Prior.MLNet.IO;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior detect</c>: lung-opacity detection on RSNA Pneumonia with an FCOS-style detector on PRIOR's ResNet,
/// fine-tuned on a fraction of the training images, against the same network from random weights at the same budget
/// and seeds.
/// </summary>
internal static class DetectCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description =
                "An RSNA Pneumonia Detection folder: stage_2_train_labels.csv and the images as downloaded (PATIENTID.dcm) or converted "
                + "to PNG or JPEG at their size (e.g. DIR/rsna-pneumonia "
                + "from prior synth --downstream-images).",
            Required = true,
        };
        var annotationSize = AnnotationSize.Create();
        var shared = new FineTuningCommandOptions(defaultFraction: 0.1, newPart: "the pyramid and heads");
        var json = new Option<string?>("--json")
        {
            Description =
                "Write map (IoU 0.25-0.75), mapChallenge (IoU 0.40-0.75), baselineMap, baselineMapChallenge (means over seeds), their "
                + "standard deviations, per-seed figures.",
        };
        var report = new Option<string?>("--report")
        {
            Description =
                "A folder for detection-overlays.png: the first seed's boxes on three test images with opacity and three without, both "
                + "arms (true green, predicted red with scores).",
        };
        var command = new Command(
            "detect",
            $"Detect lung opacity on RSNA Pneumonia with an FCOS-style detector on PRIOR's ResNet against random initialisation; "
                + $"{Evaluations.DetectionTestShare:P0} of the images are held out (example: prior detect --data out/data/rsna-pneumonia "
                + $"--model out/demo/prior-tiny.zip --fraction 0.1)."
        )
        {
            data,
            annotationSize,
        };
        shared.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(report);
        command.SetAction(parse => CommandRunner.Run("detect", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(shared.Model)!);
                double share = shared.FractionOf(parse);
                var seedList = shared.SeedsOf(parse);
                var (pretrained, baseline, test) = Evaluations.Detect(
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
                var map = FineTuningCommandOptions.MeanAndSd(pretrained.Select(r => r.Map).ToList());
                var baseMap = FineTuningCommandOptions.MeanAndSd(baseline.Select(r => r.Map).ToList());
                var challenge = FineTuningCommandOptions.MeanAndSd(pretrained.Select(r => r.MapChallenge).ToList());
                var baseChallenge = FineTuningCommandOptions.MeanAndSd(baseline.Select(r => r.MapChallenge).ToList());
                Console.WriteLine(
                    $"{share:P0} of the training images ({seedList.Count} seeds, {parse.GetValue(shared.Epochs)} epochs, "
                        + $"{shared.TrainingOf(parse)}): "
                        + $"mAP (IoU 0.25-0.75) {map.Mean:0.000} ± {map.Sd:0.000} from PRIOR, {baseMap.Mean:0.000} ± {baseMap.Sd:0.000} "
                        + $"from random weights; "
                        + $"challenge IoUs 0.40-0.75: {challenge.Mean:0.000} against {baseChallenge.Mean:0.000}"
                );
                if (parse.GetValue(json) is { } path)
                    AtomicFile.WriteText(path, w => w.Write(
                            JsonSerializer.Serialize(
                                new Dictionary<string, object>
                                {
                                    ["map"] = map.Mean,
                                    ["mapSd"] = map.Sd,
                                    ["baselineMap"] = baseMap.Mean,
                                    ["baselineMapSd"] = baseMap.Sd,
                                    ["mapChallenge"] = challenge.Mean,
                                    ["mapChallengeSd"] = challenge.Sd,
                                    ["baselineMapChallenge"] = baseChallenge.Mean,
                                    ["baselineMapChallengeSd"] = baseChallenge.Sd,
                                    ["perSeedMap"] = pretrained.Select(r => r.Map).ToList(),
                                    ["perSeedBaselineMap"] = baseline.Select(r => r.Map).ToList(),
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
        IReadOnlyList<DetectionFineTuning.Example> test,
        DetectionFineTuning.Result pretrained,
        DetectionFineTuning.Result baseline,
        int size
    )
    {
        Directory.CreateDirectory(folder);
        var positives = Enumerable.Range(0, test.Count).Where(i => pretrained.Truths[i].Count > 0).Take(3);
        var negatives = Enumerable.Range(0, test.Count).Where(i => pretrained.Truths[i].Count == 0).Take(3);
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
                    (IReadOnlyList<(string, IReadOnlyList<BoundingBox>, double?)>)
                        [
                            (
                                "PRIOR",
                                pretrained.Predictions[i],
                                DetectionMetrics.ImagePrecision(truth, pretrained.Predictions[i], DetectionMetrics.WideThresholds)
                            ),
                            (
                                "random",
                                baseline.Predictions[i],
                                DetectionMetrics.ImagePrecision(truth, baseline.Predictions[i], DetectionMetrics.WideThresholds)
                            ),
                        ]
                );
            })
            .ToList();
        var path = Path.Combine(folder, "detection-overlays.png");
        Report.Charts.DetectionOverlays(path, panels);
        Console.WriteLine($"overlays: {path}");
    }
}
