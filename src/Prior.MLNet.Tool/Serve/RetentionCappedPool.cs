using System.Buffers;
using System.Runtime.CompilerServices;

namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// An <see cref="ArrayPool{T}"/> of bytes that keeps at most <c>capacity</c> bytes of returned arrays. A plain pool keeps a
/// fixed number of arrays per power-of-two size, whatever the sizes, so what it holds grows with every size class that
/// traffic happens to touch; this one gives an array back to the collector instead once the bytes it holds would pass
/// the cap, so the server's memory bound can name what the pools hold.
/// </summary>
internal sealed class RetentionCappedPool(long capacity, int maxArrayLength) : ArrayPool<byte>
{
    // Room for more arrays per size than the cap allows, so that the cap alone decides what is kept (an array the inner
    // pool dropped would still be counted as held).
    private readonly ArrayPool<byte> _inner = Create(maxArrayLength, 1024);

    // The arrays the inner pool holds now (by identity) and their bytes.
    private readonly ConditionalWeakTable<byte[], object> _held = [];
    private long _heldBytes;

    /// <summary>The most bytes of returned arrays kept.</summary>
    public long Capacity => capacity;

    /// <summary>The bytes of returned arrays kept now.</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <inheritdoc />
    public override byte[] Rent(int minimumLength)
    {
        var array = _inner.Rent(minimumLength);
        if (_held.Remove(array))
            Interlocked.Add(ref _heldBytes, -array.Length);
        return array;
    }

    /// <inheritdoc />
    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length > maxArrayLength)
            return; // never pooled: the inner pool allocated it as is
        while (true)
        {
            long held = Interlocked.Read(ref _heldBytes);
            if (held + array.Length > capacity)
                return; // over the cap: the collector takes it
            if (Interlocked.CompareExchange(ref _heldBytes, held + array.Length, held) == held)
                break;
        }
        _held.AddOrUpdate(array, array);
        _inner.Return(array, clearArray);
    }
}
