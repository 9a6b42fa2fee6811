using System.CommandLine;
using Prior.MLNet.Tool.Commands;

// The `prior` command line. Each command lives in Commands/ and takes --help.
var root = new RootCommand("Prior.MLNet: PRIOR vision-language pretraining on chest X-rays, in ML.NET.");
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(MimicIndexCommand.Create());
root.Subcommands.Add(CacheCommand.Create());
root.Subcommands.Add(CheXpert5x200Command.Create());
root.Subcommands.Add(PretrainCommand.Create());
root.Subcommands.Add(ZeroShotCommand.Create());
root.Subcommands.Add(RetrievalCommand.Create());
root.Subcommands.Add(LinearProbeCommand.Create());
root.Subcommands.Add(FinetuneClassifyCommand.Create());
root.Subcommands.Add(SegmentCommand.Create());
root.Subcommands.Add(DetectCommand.Create());
root.Subcommands.Add(ApplyCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ExportOnnxCommand.Create());
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(ClassifyCommand.Create());
root.Subcommands.Add(ClassifyOnnxCommand.Create());
root.Subcommands.Add(DraftCommand.Create());
root.Subcommands.Add(MergeCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(AttentionCommand.Create());
root.Subcommands.Add(LabelReportsCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
var parsed = root.Parse(args);
int code = parsed.Invoke();

// A command line that does not parse (an unknown value of an enum switch, a missing required option) is a usage error:
// exit 2, as a run given bad input does (CommandRunner), not System.CommandLine's 1.
return parsed.Errors.Count > 0 ? 2 : code;
