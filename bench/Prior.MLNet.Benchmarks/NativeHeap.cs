using System.Runtime.InteropServices;
using Prior.MLNet.Tool.Commands;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The C library's heap, under libtorch's tensors. glibc keeps the memory of freed tensors in its arenas for reuse, so
/// resident memory over a training creeps up and down with what the free lists happen to hold; the bench's memory part
/// reads it once as is and once with the free part handed back, which is what tells a leak (growth either way) from
/// the allocator's pools (flat once trimmed). The peak part trims before each measurement, so that an earlier one's
/// freed tensors do not count as the next one's start. (Trimming at each epoch's end inside the trainer was tried: the
/// readings as is stayed within noise, +3.0 % against +3.4 % over 10 epochs, so the library does not.)
/// </summary>
internal static class NativeHeap
{
    /// <summary>Returns the heap's free memory to the system where the C library can (glibc's malloc_trim); elsewhere nothing.</summary>
    public static void ReleaseFreeMemory()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            _ = malloc_trim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // musl and other C libraries have no malloc_trim; their heaps stay as they are.
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
