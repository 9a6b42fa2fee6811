using System.Diagnostics;
using System.Text.RegularExpressions;
using Prior.MLNet.Tool.Commands;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The process's peak resident memory over one stretch of work. On Linux the kernel's high-water mark (VmHWM) is reset
/// at <see cref="Start"/> (writing 5 to /proc/self/clear_refs), so each measurement sees only its own peak, not an
/// earlier part's; elsewhere the peak is the process's lifetime peak, which only says "at most".
/// </summary>
internal sealed partial class PeakMemory
{
    private readonly long _startBytes;

    private PeakMemory(long startBytes, bool reset) => (_startBytes, IsReset) = (startBytes, reset);

    /// <summary>Whether the high-water mark was reset at the start (Linux), so <see cref="PeakBytes"/> is this stretch's own.</summary>
    public bool IsReset { get; }

    /// <summary>The peak above the resident memory at the start (MB): what the stretch itself needed.</summary>
    public double AboveStartMb => (PeakBytes() - _startBytes) / 1e6;

    /// <summary>Collects garbage (returning free memory to the system), resets the high-water mark where the system allows, and starts a
    /// stretch.</summary>
    public static PeakMemory Start()
    {
        // Aggressive: the collector also hands its free segments back to the system, so an earlier part's heap does not
        // count as this one's start (and then hide what this one needs).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        bool reset = false;
        if (OperatingSystem.IsLinux())
        {
            NativeHeap.ReleaseFreeMemory(); // an earlier part's freed tensors do not count as this one's start
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
                reset = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Some sandboxes refuse it; the lifetime peak is still an upper bound.
            }
        }
        using var self = Process.GetCurrentProcess();
        return new PeakMemory(self.WorkingSet64, reset);
    }

    private static long PeakBytes()
    {
        if (OperatingSystem.IsLinux() && HighWaterMark().Match(File.ReadAllText("/proc/self/status")) is { Success: true } match)
            return long.Parse(match.Groups[1].Value) * 1024;
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.PeakWorkingSet64;
    }

    [GeneratedRegex(@"VmHWM:\s+(\d+) kB")]
    private static partial Regex HighWaterMark();
}
