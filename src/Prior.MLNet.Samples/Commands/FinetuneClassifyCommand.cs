using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Prior.MLNet.Downstream;
using Prior.MLNet.IO;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples.Commands;

/// <summary>
/// <c>prior finetune-classify</c>: fine-tunes PRIOR's image tower with a multi-label head on a fraction of CheXpert's
/// training images and scores AUC per label on its validation images, against the same architecture from random
/// weights at the same budget and seeds — whether pretraining helps when labels are few.
/// </summary>
internal static class FinetuneClassifyCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "A CheXpert folder (train.csv, valid.csv and the images), e.g. DIR/CheXpert-v1.0-small from prior synth.", Required = true };
        var model = new Option<string>("--model") { Description = "The pretrained model (from pretrain, demo or import).", Required = true };
        var fraction = new Option<double>("--fraction") { Description = "Share of the training images to fine-tune on (the paper: 0.01, 0.1, 1).", DefaultValueFactory = _ => 0.01 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the chosen training images.", DefaultValueFactory = _ => new FineTuningOptions().Epochs };
        var freeze = new Option<bool>("--freeze") { Description = "Train the head only, the image tower frozen." };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds: each picks the images, the head's start and the batch order, for both arms.", DefaultValueFactory = _ => "1,2,3" };
        var json = new Option<string?>("--json") { Description = "Write meanAuc, baselineMeanAuc (mean over seeds), their standard deviations and the per-seed figures." };
        var command = new Command("finetune-classify", "Fine-tune PRIOR's image encoder on a fraction of CheXpert's labels against random initialisation (example: prior finetune-classify --data out/demo/data/CheXpert-v1.0-small --model out/demo/prior-tiny.zip --fraction 0.01).")
            { data, model, fraction, epochs, freeze, seeds, json };
        command.SetAction(parse => CommandRunner.Run("finetune-classify", () =>
        {
            using var network = PriorNetwork.Load(parse.GetValue(model)!);
            var (train, test) = Experiments.CheXpertExamples(parse.GetValue(data)!);
            double share = parse.GetValue(fraction);
            if (share is <= 0 or > 1) throw new ArgumentOutOfRangeException("--fraction", share, "must be in (0, 1]");
            var seedList = parse.GetValue(seeds)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
            var (pretrained, baseline) = Experiments.FineTuneClassification(network, train, test, share, seedList, parse.GetValue(epochs), parse.GetValue(freeze),
                line => Console.WriteLine(line));
            static (double Mean, double Sd) Stats(List<double> v) => (v.Average(), v.Count < 2 ? 0 : Math.Sqrt(v.Sum(x => (x - v.Average()) * (x - v.Average())) / (v.Count - 1)));
            var (mean, sd) = Stats(pretrained);
            var (baseMean, baseSd) = Stats(baseline);
            Console.WriteLine($"{share:P0} of the labels ({seedList.Count} seeds, {parse.GetValue(epochs)} epochs, {(parse.GetValue(freeze) ? "frozen tower" : "whole network fine-tuned")}): mean AUC {mean:0.000} ± {sd:0.000} from PRIOR, {baseMean:0.000} ± {baseSd:0.000} from random weights");
            if (parse.GetValue(json) is { } path)
                AtomicFile.WriteText(path, w => w.Write(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["meanAuc"] = mean, ["meanAucSd"] = sd, ["baselineMeanAuc"] = baseMean, ["baselineMeanAucSd"] = baseSd,
                    ["fraction"] = share, ["seeds"] = seedList, ["perSeedMeanAuc"] = pretrained, ["perSeedBaselineMeanAuc"] = baseline,
                })));
            return 0;
        }));
        return command;
    }
}
