namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// A count of bytes held against a capacity, safe across threads: a holder reserves what it is about to hold and gives it
/// back when done, and a reservation that would pass the capacity is refused whole. The server bounds the uploads it
/// holds with one (<c>--max-inflight-upload-mb</c>) and each <see cref="RetentionCappedPool"/> the arrays it keeps.
/// </summary>
internal sealed class ByteBudget(long capacity)
{
    private long _reserved;

    /// <summary>The most bytes held at once.</summary>
    public long Capacity => capacity;

    /// <summary>The bytes reserved now.</summary>
    public long Reserved => Interlocked.Read(ref _reserved);

    /// <summary>Reserves <paramref name="bytes"/> if they fit; false (and nothing reserved) if not.</summary>
    public bool TryReserve(long bytes)
    {
        while (true)
        {
            long current = Interlocked.Read(ref _reserved);
            if (current + bytes > capacity)
                return false;
            if (Interlocked.CompareExchange(ref _reserved, current + bytes, current) == current)
                return true;
        }
    }

    /// <summary>Gives back what <see cref="TryReserve"/> reserved.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _reserved, -bytes);
}
