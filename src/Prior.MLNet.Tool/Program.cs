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
root.Subcommands.Add(AttentionCommand.Create());
root.Subcommands.Add(LabelReportsCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
return root.Parse(args).Invoke();
