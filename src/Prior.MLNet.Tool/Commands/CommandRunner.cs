using System.Diagnostics;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// Runs a command body. Every exception ends the command with one line on standard error (<c>prior COMMAND: reason</c>),
/// any further lines of its message (a weight import's key-by-key report) on standard output, and a non-zero exit
/// code: 2 for what the user can fix (arguments, files, data), 1 for anything else. No stack trace, unless the
/// environment sets PRIOR_STACKTRACE=1. The lines name the executable (<c>prior</c> unless told: the
/// benchmarks and experiments run through the same runner).
/// </summary>
internal static class CommandRunner
{
    public static int Run(string command, Func<int> body, string program = "prior")
    {
        var clock = Stopwatch.StartNew();
        try
        {
            int code = body();
            Console.Error.WriteLine($"{program} {command}: done in {clock.Elapsed.TotalSeconds:0.0} s");
            return code;
        }
        catch (Exception caught)
        {
            var ex = caught is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : caught;
            bool internalFault = IsInternal(ex);
            var lines = internalFault
                ?
                [
                    $"internal error ({ex.GetType().Name}: {ex.Message.Split('\n')[0].TrimEnd()}); this is a bug: "
                        + "please report it with the output of the same command run with PRIOR_STACKTRACE=1",
                ]
                : UserMessage(ex).Split('\n');
            Console.Error.WriteLine($"{program} {command}: {lines[0].TrimEnd()}");
            foreach (var line in lines.Skip(1))
                Console.WriteLine(line.TrimEnd());
            // For bug reports: PRIOR_STACKTRACE=1 adds the whole exception.
            if (Environment.GetEnvironmentVariable("PRIOR_STACKTRACE") == "1")
                Console.Error.WriteLine(caught);
            bool userCaused =
                !internalFault
                && ex
                    is ArgumentException
                        or IOException
                        or InvalidDataException
                        or UnauthorizedAccessException
                        or InvalidOperationException
                        or Training.TrainingDivergedException
                        or OperationCanceledException;
            return userCaused ? 2 : 1;
        }
    }

    // An argument exception's message without .NET's " (Parameter 'name')": the parameter is the library's, not the user's.
    private static string UserMessage(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } && ex.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? ex.Message[..^$" (Parameter '{name}')".Length]
            : ex.Message;

    // A message the user cannot act on: LINQ's "Sequence contains no elements", a null reference, an index out of range.
    // Those are our bugs (data that leaves nothing to compute must be named by the command), said as such.
    private static bool IsInternal(Exception ex) =>
        ex is NullReferenceException or IndexOutOfRangeException or KeyNotFoundException or DivideByZeroException
        || ex.TargetSite?.DeclaringType?.Namespace is "System.Linq" or "System.Collections.Generic";
}
