using Prior.MLNet.Samples;

// Small programs that show the API, each in its own file. On the synthetic default:
//   dotnet run --project src/Prior.MLNet.Samples -c Release -- [all|pretrain|zero-shot|evaluation|embeddings|save-load|onnx] [WORK_FOLDER]
// The pretraining sample writes the model that the others read; 'all' runs them in order.
var names = new[] { "pretrain", "zero-shot", "evaluation", "embeddings", "save-load", "onnx" };
var which = args.Length > 0 ? args[0] : "all";
if (which is "-h" or "--help" || (which != "all" && !names.Contains(which)))
{
    Console.Error.WriteLine($"usage: prior-samples [all|{string.Join('|', names)}] [WORK_FOLDER]   (default: all, out/samples)");
    return which is "-h" or "--help" ? 0 : 2;
}
var clock = System.Diagnostics.Stopwatch.StartNew();
void Step(string name, Action run)
{
    Console.WriteLine($"== {name}");
    run();
    Console.WriteLine($"   ({clock.Elapsed.TotalSeconds:0.0} s so far)");
}
var data = SampleData.Prepare(Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine("out", "samples")));
if (which is "all" or "pretrain" || !File.Exists(data.ModelPath))
    Step("pretrain", () => PretrainSample.Run(data, [16, 2, 2]));
if (which is "all" or "zero-shot")
    Step("zero-shot", () => ZeroShotSample.Run(data));
if (which is "all" or "evaluation")
    Step("evaluation", () => EvaluationSample.Run(data));
if (which is "all" or "embeddings")
    Step("embeddings", () => EmbeddingsIntoTrainerSample.Run(data));
if (which is "all" or "save-load")
    Step("save-load", () => SaveLoadSample.Run(data));
if (which is "all" or "onnx")
    Step("onnx", () => OnnxDeploymentSample.Run(data));
return 0;
