using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using Prior.MLNet.Evaluation;
using Prior.MLNet.IO;
using Prior.MLNet.Trainers;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior finetune-classify</c>: fine-tunes PRIOR's image tower with a multi-label head on a fraction of CheXpert's
/// training images and scores AUC per label on its validation images, against the same architecture from random
/// weights at the same budget and seeds — whether pretraining helps when labels are few.
/// </summary>
internal static class FinetuneClassifyCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description = "A CheXpert folder (train.csv, valid.csv and the images), e.g. DIR/CheXpert-v1.0-small from prior synth.",
            Required = true,
        };
        var shared = new FineTuningCommandOptions(defaultFraction: 0.01, newPart: "the head");
        var protocol = new CheXpertProtocolOptions();
        var json = new Option<string?>("--json")
        {
            Description = "Write meanAuc, baselineMeanAuc (mean over seeds), their standard deviations and the per-seed figures.",
        };
        var command = new Command(
            "finetune-classify",
            "Fine-tune PRIOR's image encoder on a fraction of CheXpert's labels against random initialisation (example: prior "
                + "finetune-classify --data out/demo/data/CheXpert-v1.0-small --model out/demo/prior-tiny.zip --fraction 0.01)."
        )
        {
            data,
        };
        shared.AddTo(command);
        protocol.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parse => CommandRunner.Run("finetune-classify", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(shared.Model)!);
                var chosen = protocol.Of(parse);
                var (train, test, _, _) = Evaluations.CheXpertImages(parse.GetValue(data)!, chosen);
                Console.WriteLine($"protocol: {chosen.Policy.Name}, split {chosen.SplitName}, {chosen.Labels.Count} labels");
                double share = shared.FractionOf(parse);
                var seedList = shared.SeedsOf(parse);
                var ml = new MLContext(seed: 1);
                ml.Log += (_, e) =>
                {
                    if (e.Source == "PriorEvaluation" && e.Kind == ChannelMessageKind.Info)
                        Console.WriteLine(e.RawMessage);
                };
                var metrics = ml.PriorEvaluation()
                    .EvaluateFineTuning(
                        network,
                        ml.Data.LoadFromEnumerable(train),
                        ml.Data.LoadFromEnumerable(test),
                        share,
                        seedList,
                        new FineTuningOptions { Epochs = parse.GetValue(shared.Epochs), FreezeEncoder = parse.GetValue(shared.Freeze) },
                        chosen.Labels
                    );
                var (pretrained, baseline) = (metrics.PretrainedMeanAuc, metrics.RandomMeanAuc);
                var (mean, sd) = FineTuningCommandOptions.MeanAndSd(pretrained);
                var (baseMean, baseSd) = FineTuningCommandOptions.MeanAndSd(baseline);
                Console.WriteLine(
                    $"{share:P0} of the labels ({seedList.Count} seeds, {parse.GetValue(shared.Epochs)} epochs, "
                        + $"{shared.TrainingOf(parse)}): mean AUC {mean:0.000} ± {sd:0.000} from PRIOR, {baseMean:0.000} ± "
                        + $"{baseSd:0.000} from random weights"
                );
                if (parse.GetValue(json) is { } path)
                    AtomicFile.WriteText(path, w => w.Write(
                            JsonSerializer.Serialize(
                                new Dictionary<string, object>
                                {
                                    ["meanAuc"] = mean,
                                    ["meanAucSd"] = sd,
                                    ["baselineMeanAuc"] = baseMean,
                                    ["baselineMeanAucSd"] = baseSd,
                                    ["fraction"] = share,
                                    ["seeds"] = seedList,
                                    ["perSeedMeanAuc"] = pretrained,
                                    ["perSeedBaselineMeanAuc"] = baseline,
                                    ["labelPolicy"] = chosen.Policy.Name,
                                    ["split"] = chosen.SplitName,
                                    ["labels"] = chosen.Labels,
                                }
                            )
                        ));
                return 0;
            }));
        return command;
    }
}
