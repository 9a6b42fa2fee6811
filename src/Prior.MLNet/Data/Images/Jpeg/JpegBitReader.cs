using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// The entropy-coded data of a JPEG scan made plain for fast bit reading (ITU T.81, F.1.2.3 and F.2.2.5): one pass,
/// vectorised by the search for 0xFF, copies the data with the 0x00 stuffed after every 0xFF data byte removed, notes
/// where each restart interval begins, and stops at the first other marker; the copy ends in zero padding. The decoding
/// loop then holds its bits in a 64-bit local and refills it from the copy without a branch (<see cref="Fill"/>), and
/// tells data that ran out (a truncated or corrupt scan) from data that merely ends in padding by comparing the bits it
/// consumed with the interval's length.
/// </summary>
internal sealed class JpegBitReader : IDisposable
{
    private const int Padding = 512; // see Data
    private byte[]? _data;

    private JpegBitReader(byte[] data, int length, List<int> intervalStarts, List<int> markers)
    {
        _data = data;
        Length = length;
        IntervalStarts = intervalStarts;
        RestartMarkers = markers;
    }

    /// <summary>
    /// The plain data, followed by 512 zero bytes: more than decoding one block can read past the data's end, so that
    /// the decoding loop, which checks its position once a block, never reads outside the array.
    /// </summary>
    public byte[] Data => _data ?? throw new ObjectDisposedException(nameof(JpegBitReader));

    /// <summary>Bytes of plain data.</summary>
    public int Length { get; }

    /// <summary>Where each restart interval's data begins in <see cref="Data"/>: 0, then after each RSTn marker.</summary>
    public List<int> IntervalStarts { get; }

    /// <summary>
    /// Whether a marker (EOI, normally) ends the data; false when the file ends inside the scan, which libjpeg reports as
    /// a premature end.
    /// </summary>
    public bool EndsInMarker { get; private init; }

    /// <summary>The n of each RSTn marker met, in order (0 to 7, cycling in valid data).</summary>
    public List<int> RestartMarkers { get; }

    /// <summary>
    /// Copies the entropy-coded data that starts at <paramref name="start"/> of <paramref name="file"/>. Fully optimised
    /// from the first call: it runs once per image, over every byte of the scan.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static JpegBitReader Read(ReadOnlySpan<byte> file, int start)
    {
        var scan = file.Slice(start);
        var data = ArrayPool<byte>.Shared.Rent(scan.Length + Padding);
        var starts = new List<int> { 0 };
        var markers = new List<int>();
        int length = 0;
        bool endsInMarker = false;
        while (true)
        {
            int at = scan.IndexOf((byte)0xFF);
            int plain = at < 0 ? scan.Length : at;
            scan.Slice(0, plain).CopyTo(data.AsSpan(length));
            length += plain;
            if (at < 0 || at + 1 >= scan.Length)
                break; // no end marker: the file ends inside the scan
            int next = scan[at + 1];
            if (next == 0x00)
            {
                data[length++] = 0xFF;
                scan = scan.Slice(at + 2);
            }
            else if (next == 0xFF)
            {
                scan = scan.Slice(at + 1); // a fill byte before a marker
            }
            else if (next is >= 0xD0 and <= 0xD7)
            {
                markers.Add(next - 0xD0);
                starts.Add(length);
                scan = scan.Slice(at + 2);
            }
            else
            {
                endsInMarker = true; // EOI or any other marker ends the scan's data
                break;
            }
        }
        data.AsSpan(length, Padding).Clear();
        return new JpegBitReader(data, length, starts, markers) { EndsInMarker = endsInMarker };
    }

    /// <summary>
    /// Makes at least 56 bits available in <paramref name="bits"/> (left-aligned; <paramref name="count"/> of them
    /// unread), branch-free: the next eight bytes are ORed in below the unread bits and the whole bytes that fit are
    /// counted as read; the part of a byte that did not fit is the stream's own next bits, which the next fill ORs in
    /// again at the same place, so the bits below <paramref name="count"/> are always zero or the stream's (the
    /// left-aligned refill of Giesen's "Reading bits in far too many ways", variant 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(ref byte data, ref ulong bits, ref int count, ref int position)
    {
        ulong next = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref data, position)));
        bits |= next >> count;
        position += (63 - count) >> 3;
        count |= 56;
    }

    /// <summary>
    /// Whether a reader positioned at <paramref name="position"/> with <paramref name="count"/> bits unread has consumed
    /// no more than the data up to <paramref name="end"/> (the next interval's start, or <see cref="Length"/>).
    /// </summary>
    public static bool WithinData(int position, int count, int end) => 8L * position - count <= 8L * end;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_data is { } data)
            ArrayPool<byte>.Shared.Return(data);
        _data = null;
    }
}
