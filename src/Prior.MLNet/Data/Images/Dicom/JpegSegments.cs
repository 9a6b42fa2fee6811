namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Walks the marker segments of a JPEG-family stream (T.81 B.1.1.4, T.87 the same): SOI first, then each marker with its
/// length-prefixed payload, fill bytes skipped; what the lossless, 12-bit and JPEG-LS decoders share. A segment that
/// runs past the data, or bytes where a marker belongs, are refused naming the byte.
/// </summary>
internal ref struct JpegSegments
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _source;
    private int _next;

    /// <summary>Starts after SOI; <paramref name="what"/> names the format in errors ("JPEG lossless").</summary>
    public JpegSegments(ReadOnlySpan<byte> data, string source, string what)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
            throw new InvalidDataException($"{source}: the {what} data does not start with a start-of-image marker.");
        _data = data;
        _source = source;
        _next = 2;
    }

    /// <summary>The byte after the current segment: for SOS, where the scan's coded data begins.</summary>
    public readonly int End => _next;

    /// <summary>
    /// The next marker and its payload; false at EOI or where the data ends (the caller decides whether that is too
    /// soon).
    /// </summary>
    public bool Next(out byte marker, out ReadOnlySpan<byte> segment)
    {
        segment = default;
        marker = 0;
        while (_next + 1 < _data.Length && _data[_next] == 0xFF && _data[_next + 1] == 0xFF)
            _next++; // fill bytes
        if (_next + 2 > _data.Length)
            return false;
        if (_data[_next] != 0xFF)
            throw new InvalidDataException($"{_source}: a marker was expected at byte {_next}.");
        marker = _data[_next + 1];
        if (marker == 0xD9)
            return false;
        if (_next + 4 > _data.Length)
            throw new InvalidDataException($"{_source}: truncated: the data ends inside the marker at byte {_next}.");
        int length = (_data[_next + 2] << 8) | _data[_next + 3];
        if (length < 2 || _next + 2 + length > _data.Length)
            throw new InvalidDataException($"{_source}: truncated: the marker segment at byte {_next} runs past the data.");
        segment = _data.Slice(_next + 4, length - 2);
        _next += 2 + length;
        return true;
    }

    /// <summary>Goes on from <paramref name="position"/> (after a scan's coded data the caller has measured).</summary>
    public void MoveTo(int position) => _next = position;
}
