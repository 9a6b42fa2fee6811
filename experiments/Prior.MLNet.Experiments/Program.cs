using System.CommandLine;
using Prior.MLNet.Experiments;

// prior-experiments: research harnesses that stay out of the shipped tool. Each command takes --help.
var root = new RootCommand("Prior.MLNet research harnesses: what PRIOR's parts are worth, over seeds.");
root.Subcommands.Add(AblateCommand.Create());
return root.Parse(args).Invoke();
