using System.Runtime.InteropServices;

namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// Caps glibc's malloc arenas for <c>prior serve</c>. glibc gives threads arenas of their own, up to eight per core, and
/// a server whose thread-pool threads decode large images (SkiaSharp's codecs) and run libtorch's forward pass in turn
/// spreads its freed native memory over all of them, where it stays: under a stream of 7,000 × 7,000 uploads the
/// resident memory grew about 670 MiB a minute with glibc's default and stayed flat with two arenas (prior-bench --suite
/// bombs; docs/serving.md). The cap is <c>mallopt(M_ARENA_MAX, 2)</c>, what <c>MALLOC_ARENA_MAX=2</c> sets, applied at
/// start unless the environment already says otherwise; elsewhere (Windows, macOS, musl) nothing is done.
/// </summary>
internal static class MallocArenas
{
    private const int ArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <summary>Applies the cap; true when glibc took it.</summary>
    public static bool Limit(int arenas = 2)
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
            return false;
        try
        {
            return mallopt(ArenaMax, arenas) == 1;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // not glibc (musl has no arenas to cap)
        }
    }

    private static Timer? _trimming;

    /// <summary>
    /// Hands glibc's free native memory back to the system every <paramref name="interval"/> (<c>malloc_trim(0)</c>, which
    /// releases free pages inside the arenas too, not only at their tops); true when glibc has it.
    /// </summary>
    public static bool TrimEvery(TimeSpan interval)
    {
        if (!OperatingSystem.IsLinux() || _trimming is not null)
            return false;
        try
        {
            malloc_trim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
        _trimming = new Timer(_ => malloc_trim(0), null, interval, interval);
        return true;
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
