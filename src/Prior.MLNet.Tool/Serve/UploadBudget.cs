namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// The bytes of image uploads the server holds at once (<c>--max-inflight-upload-mb</c>). An upload reserves its declared
/// length (a body without one, the whole <c>--max-upload-mb</c>) before it is read and gives it back once decoded; one that
/// does not fit is refused with 503 and Retry-After. The decode pool bounds what decoding takes, but uploads are read
/// before they wait for it: without this, N clients each sending the largest upload hold N times it.
/// </summary>
internal sealed class UploadBudget(long capacity)
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
