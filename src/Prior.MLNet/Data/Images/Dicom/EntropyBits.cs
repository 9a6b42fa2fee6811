namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// The entropy-coded bits of a JPEG scan read one code at a time (T.81 F.2.2.5), with the 0x00 stuffed after each 0xFF
/// data byte dropped: what the lossless and 12-bit decoders share. Valid data never asks for a bit past its restart
/// interval (a Huffman code is read bit by bit), so a read that reaches a marker or the end of the data sets
/// <see cref="Exhausted"/>: the data ran out before the image did, and the decoder refuses it rather than fill.
/// </summary>
internal ref struct EntropyBits
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private uint _buffer;
    private int _count;

    /// <summary>Reads the scan data <paramref name="data"/> (from just after the SOS segment).</summary>
    public EntropyBits(ReadOnlySpan<byte> data) => _data = data;

    /// <summary>Whether a read went past the data.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>The next <paramref name="count"/> bits (at most 16), most significant first; zeros past the data.</summary>
    public int Read(int count)
    {
        while (_count < count)
        {
            uint next = 0;
            if (_position >= _data.Length)
                Exhausted = true;
            else if (_data[_position] != 0xFF)
                next = _data[_position++];
            else if (_position + 1 < _data.Length && _data[_position + 1] == 0x00)
            {
                next = 0xFF;
                _position += 2;
            }
            else
                Exhausted = true; // a marker: this interval's data is over
            _buffer = (_buffer << 8) | next;
            _count += 8;
        }
        _count -= count;
        return (int)((_buffer >> _count) & ((1u << count) - 1));
    }

    /// <summary>
    /// At a restart interval's end: drops the partial byte and expects RSTn next (after fill bytes); false when it is
    /// not there.
    /// </summary>
    public bool Restart()
    {
        _count = 0;
        _buffer = 0;
        while (_position + 1 < _data.Length && _data[_position] == 0xFF && _data[_position + 1] == 0xFF)
            _position++;
        if (_position + 1 >= _data.Length || _data[_position] != 0xFF || _data[_position + 1] is < 0xD0 or > 0xD7)
            return false;
        _position += 2;
        return true;
    }
}
