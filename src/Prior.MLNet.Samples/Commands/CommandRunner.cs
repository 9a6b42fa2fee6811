using System.Diagnostics;

namespace Prior.MLNet.Samples.Commands;

/// <summary>Runs a command body, turning the errors users cause into a one-line reason and exit code 2.</summary>
internal static class CommandRunner
{
    public static int Run(string command, Func<int> body)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            int code = body();
            Console.Error.WriteLine($"prior {command}: done in {clock.Elapsed.TotalSeconds:0.0} s");
            return code;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FileNotFoundException
                                       or DirectoryNotFoundException or IOException or UnauthorizedAccessException
                                       or InvalidOperationException)
        {
            Console.Error.WriteLine($"prior {command}: {ex.Message}");
            return 2;
        }
    }

    /// <summary>A progress sink that rewrites one status line on a terminal and prints lines otherwise.</summary>
    public static IProgress<string> ConsoleProgress() => new SynchronousProgress(message =>
    {
        if (Console.IsErrorRedirected)
            Console.Error.WriteLine(message);
        else
            Console.Error.Write($"\r{message,-78}");
    });

    /// <summary>Ends a status line written by <see cref="ConsoleProgress"/>.</summary>
    public static void EndProgress()
    {
        if (!Console.IsErrorRedirected)
            Console.Error.WriteLine();
    }

    // Progress<T> posts to the thread pool; this one reports in order, on the caller's thread.
    private sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        private readonly object _gate = new();

        public void Report(string value)
        {
            lock (_gate) report(value);
        }
    }
}
