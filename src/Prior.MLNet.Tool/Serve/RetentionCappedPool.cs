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
    private readonly ByteBudget _heldBytes = new(capacity);

    /// <summary>The most bytes of returned arrays kept.</summary>
    public long Capacity => capacity;

    /// <summary>The bytes of returned arrays kept now.</summary>
    public long HeldBytes => _heldBytes.Reserved;

    /// <inheritdoc />
    public override byte[] Rent(int minimumLength)
    {
        var array = _inner.Rent(minimumLength);
        if (_held.Remove(array))
            _heldBytes.Release(array.Length);
        return array;
    }

    /// <inheritdoc />
    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        // Never pooled (the inner pool allocated it as is), or over the cap: the collector takes it.
        if (array.Length > maxArrayLength || !_heldBytes.TryReserve(array.Length))
            return;
        _held.AddOrUpdate(array, array);
        _inner.Return(array, clearArray);
    }
}
