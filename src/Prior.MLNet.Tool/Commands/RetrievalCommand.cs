using System.CommandLine;
using System.Text.Json;
using Prior.MLNet.IO;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary><c>prior retrieval</c>: image↔report retrieval Precision@K on the held-out MIMIC-CXR studies.</summary>
internal static class RetrievalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A model file from 'prior pretrain'.", Required = true };
        var data = new Option<string>("--data")
        {
            Description = "MIMIC-CXR root or index; the validate and test splits are used.",
            Required = true,
        };
        var json = new Option<string?>("--json") { Description = "Write imageToTextP1, imageToTextP5, textToImageP1 and chance as JSON." };
        var skip = InputList.SkipUnreadableOption();
        var command = new Command(
            "retrieval",
            "Image-to-report and report-to-image retrieval on held-out studies (example: prior retrieval --model prior.zip --data mimic)."
        )
        {
            model,
            data,
            json,
            skip,
        };
        command.SetAction(parse => CommandRunner.Run("retrieval", () =>
            {
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var r = Evaluations.Retrieval(network, parse.GetValue(data)!, parse.GetValue(skip));
                Console.WriteLine(
                    $"image->text P@1 {r.ImageToTextP1:0.000}, P@5 {r.ImageToTextP5:0.000}, text->image P@1 {r.TextToImageP1:0.000}, "
                        + $"chance {r.Chance:0.000}"
                );
                if (parse.GetValue(json) is { } path)
                    AtomicFile.WriteText(path, w => w.Write(
                            JsonSerializer.Serialize(
                                new
                                {
                                    imageToTextP1 = r.ImageToTextP1,
                                    imageToTextP5 = r.ImageToTextP5,
                                    textToImageP1 = r.TextToImageP1,
                                    chance = r.Chance,
                                }
                            )
                        ));
                return 0;
            }));
        return command;
    }
}
