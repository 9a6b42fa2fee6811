using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// Keeps libtorch's own C++ log warnings (c10 <c>LOG(WARNING)</c>) off the user's console.
/// <para>
/// Why: on processors NNPACK does not support (many cloud VMs, these build machines among them) libtorch prints "Could
/// not initialize NNPACK! Reason: Unsupported hardware." the first time a process runs a convolution on the CPU. It is
/// harmless (libtorch falls back to its other kernels) but a user cannot tell it from a failure, and the demo printed it
/// 55 times between its progress lines. c10 drops every message below the level held in its exported
/// <c>FLAGS_caffe2_log_level</c> (what <c>TORCH_CPP_LOG_LEVEL</c> sets when the library loads); raising it to ERROR once
/// libtorch is loaded silences the warning whenever libtorch was loaded, before or after this assembly.
/// </para>
/// Errors still print, and so do Python-style <c>TORCH_WARN</c> messages (a different channel). A user who sets
/// <c>TORCH_CPP_LOG_LEVEL</c> keeps their own level.
/// </summary>
internal static class LibTorchWarnings
{
    /// <summary>The environment variable by which libtorch users choose c10's log level.</summary>
    public const string LevelVariable = "TORCH_CPP_LOG_LEVEL";

    /// <summary>c10's level for errors (INFO 0, WARNING 1, ERROR 2, FATAL 3).</summary>
    private const int ErrorLevel = 2;

    private static int _done;

    /// <summary>
    /// Raises c10's log level to ERROR unless the user chose one; loads libtorch if it is not loaded yet. Cheap after the
    /// first call; never throws (a libtorch built without the flag keeps its default).
    /// </summary>
    public static void Quiet()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1)
            return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LevelVariable)))
            return;
        if (Flag() is { } flag && Marshal.ReadInt32(flag) < ErrorLevel)
            Marshal.WriteInt32(flag, ErrorLevel);
    }

    /// <summary>c10's current log level, or null when the flag cannot be found (for tests).</summary>
    public static int? Level() => Flag() is { } flag ? Marshal.ReadInt32(flag) : null;

    private static nint? Flag()
    {
        try
        {
            // Loads LibTorchSharp and with it libtorch and c10 (a no-op once loaded).
            _ = get_num_threads();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException)
        {
            return null; // no libtorch here: the first real call will say so
        }
        // By bare name the loader hands back the c10 that libtorch already loaded (matched by its soname / module name).
        foreach (var name in new[] { "libc10.so", "c10.dll", "libc10.dylib" })
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "FLAGS_caffe2_log_level", out var flag))
                return flag;
        return null;
    }
}
