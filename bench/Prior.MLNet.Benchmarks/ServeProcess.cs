using System.Diagnostics;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// <c>prior serve</c> started in a process of its own (the tool beside this program), so that the memory and CPU time a
/// benchmark samples are the server's alone; killed on dispose. What the serve and bombs parts share.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private ServeProcess(Process process, Uri address)
    {
        Process = process;
        Address = address;
    }

    /// <summary>The server's process (its working set and CPU time read from outside).</summary>
    public Process Process { get; }

    /// <summary>Where it listens.</summary>
    public Uri Address { get; }

    /// <summary>Starts <c>prior serve --model <paramref name="model"/> --port 0</c> with <paramref name="arguments"/> after.</summary>
    public static ServeProcess Start(string model, params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "prior.exe" : "prior"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "serve", "--model", model, "--port", "0" }.Concat(arguments))
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        try
        {
            var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException(process.StandardError.ReadToEnd());
            var match = System.Text.RegularExpressions.Regex.Match(line, @"at (http://\S+/)");
            if (!match.Success)
                throw new InvalidOperationException($"prior serve did not say its address: {line}");
            process.ErrorDataReceived += (_, _) => { }; // drained, so a full pipe never blocks the server
            process.BeginErrorReadLine();
            return new ServeProcess(process, new Uri(match.Groups[1].Value));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The server's resident memory now, in MiB.</summary>
    public double ResidentMiB()
    {
        Process.Refresh();
        return Process.WorkingSet64 / 1048576.0;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }
        Process.Dispose();
    }
}
