using System.Runtime;

namespace Prior.MLNet.Training;

/// <summary>
/// Holds off .NET garbage collection while a block of TorchSharp calls runs.
/// <para>
/// Why: in TorchSharp 0.107 an implicit <c>Scalar</c> (every <c>tensor + 1</c>, every default <c>alpha</c>, BatchNorm's
/// <c>num_batches_tracked.add_(1)</c>) is passed to native code by handle only; the managed object is unreachable
/// during the call, so a garbage collection in that window runs its finalizer, which frees the native scalar
/// while libtorch reads it ("Expected false to be true ... Scalar.h", then a crash). Busy data-loading threads make
/// collections frequent enough to hit it within minutes; a stress program reproduces it in seconds. With no
/// collection inside the block the window never opens; objects that die in the block are collected after it.
/// </para>
/// Usage: <c>using (TorchGcGuard.Enter()) { … one training step or inference batch … }</c>. If the block allocates
/// more than the budget the runtime collects anyway and the guard simply ends; nesting is harmless.
/// </summary>
internal readonly struct TorchGcGuard : IDisposable
{
    /// <summary>Managed allocation allowed inside a block before the runtime may collect (256 MiB).</summary>
    public const long DefaultBudget = 256L << 20;

    private readonly bool _active;

    private TorchGcGuard(bool active) => _active = active;

    /// <summary>Starts a no-collection region of <paramref name="budget"/> bytes (a no-op when one is already active).</summary>
    public static TorchGcGuard Enter(long budget = DefaultBudget)
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
            return new TorchGcGuard(false);
        try
        {
            return new TorchGcGuard(GC.TryStartNoGCRegion(budget));
        }
        catch (InvalidOperationException)
        {
            return new TorchGcGuard(false); // another thread started a region first
        }
    }

    /// <summary>Runs <paramref name="action"/> inside a guard and returns its result.</summary>
    public static T Run<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        using var guard = Enter();
        return action();
    }

    /// <summary>Ends the region if it is still active.</summary>
    public void Dispose()
    {
        if (_active && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try
            {
                GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            { /* the budget was exceeded and the runtime already ended it */
            }
        }
    }
}
