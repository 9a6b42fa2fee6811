using System.Runtime.CompilerServices;

namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>
/// One Huffman table of a JPEG's DHT segment (ITU T.81, annex C), laid out for decoding: a lookup on the next
/// <see cref="LookupBits"/> bits gives the symbol and its code length for every short code (nearly all of them in
/// practice), and the canonical-code limits of annex F.2.2.3 resolve the rare longer ones. An AC table also has a
/// lookup on <see cref="PairBits"/> bits that yields whole coefficients - code, extra bits and all - so that most
/// coefficients cost one table read (<see cref="PairCoefficients"/>).
/// </summary>
internal sealed class JpegHuffmanTable
{
    /// <summary>Bits looked at once; codes this long or shorter decode with one table read.</summary>
    public const int LookupBits = 10;

    /// <summary>
    /// Bits looked at once for whole AC coefficients, one or two (a 16 KB table, well within a core's L1 data cache;
    /// 10, 12 and 13 bits measured slower on the benchmark's radiographs, whose film grain makes most coefficients take
    /// 8-10 bits, so that pairs seldom fit - smoother images have more).
    /// </summary>
    public const int PairBits = 11;

    // Per LookupBits-bit prefix: code length in the low byte, symbol above it; 0 where the code is longer.
    private readonly ushort[] _fast = new ushort[1 << LookupBits];

    // Per PairBits-bit prefix, for AC tables (empty for DC ones): up to two whole coefficients; see PairCoefficients.
    private readonly ulong[] _pairs;
    private readonly int[] _maxCode = new int[17]; // largest code of each length, -1 when none
    private readonly int[] _valueOffset = new int[17];

    // The DHT entry the table was last built from: 16 code-length counts, then the symbols (SymbolsAt on).
    private readonly byte[] _entry = new byte[SymbolsAt + 256];
    private int _entryLength;
    private const int SymbolsAt = 16;

    // Each decoding thread's two tables, rebuilt in place for each image: a new pair table per image was 16 KB of garbage
    // per image, at tens of thousands of 64 px images a second; images from one encoder with standard tables (no
    // per-image optimisation) skip the rebuild altogether.
    [ThreadStatic]
    private static JpegHuffmanTable? t_dc,
        t_ac;

    private JpegHuffmanTable(bool ac) => _pairs = ac ? new ulong[1 << PairBits] : [];

    // Fully optimised from the first call, as are the pair table's methods: tables are built for every image decoded,
    // and under tiered compilation the first few thousand images would build them in unoptimised code, 3-7 times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Build(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
    {
        counts.CopyTo(_entry);
        symbols.CopyTo(_entry.AsSpan(SymbolsAt));
        _entryLength = SymbolsAt + symbols.Length;
        Array.Clear(_fast);
        int code = 0,
            k = 0;
        for (int length = 1; length <= 16; length++)
        {
            _valueOffset[length] = k - code;
            for (int i = 0; i < counts[length - 1]; i++, k++, code++)
            {
                if (length <= LookupBits)
                {
                    int shift = LookupBits - length;
                    _fast.AsSpan(code << shift, 1 << shift).Fill((ushort)(length | (symbols[k] << 8)));
                }
            }
            _maxCode[length] = counts[length - 1] == 0 ? -1 : code - 1;
            code <<= 1;
        }
        if (_pairs.Length > 0)
            BuildPairs();
    }

    private bool BuiltFrom(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols) =>
        _entryLength == SymbolsAt + symbols.Length
        && _entry.AsSpan(0, SymbolsAt).SequenceEqual(counts)
        && _entry.AsSpan(SymbolsAt, symbols.Length).SequenceEqual(symbols);

    // The pair table, filled code by code: every prefix that starts with a given code (and, for a coefficient, given
    // extra bits) shares that first part, and what can follow it depends only on the window's remaining bits, so each
    // entry is one addition of the two. Built prefix by prefix, with a decision or two per entry that the processor
    // could not predict, it cost 13 µs per image, two thirds of what the rest of a 64 px image's decoding takes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BuildPairs()
    {
        const ulong none = (ulong)NoPair << 8;
        Array.Fill(_pairs, none); // what a code longer than the one-symbol lookup starts stays to that lookup's path
        var codes = ShortCodes();
        // After a first coefficient, r bits of the window remain (0 to PairBits - 2; a coefficient takes at least 2).
        Span<ulong> follows = stackalloc ulong[(1 << (PairBits - 1)) - 1];
        for (int r = 0; r < PairBits - 1; r++)
            Follow(codes, r, follows.Slice((1 << r) - 1, 1 << r));
        foreach (var (code, length, symbol) in codes)
        {
            int start = code << (PairBits - length);
            if (symbol == 0x00)
            {
                _pairs.AsSpan(start, 1 << (PairBits - length)).Fill(Pack(length, 0, 1, 0, true, 0, 0)); // end of block
                continue;
            }
            int run = symbol >> 4,
                size = symbol & 15,
                used = length + size;
            if (size == 0 || used > PairBits)
                continue; // sixteen zeros, or extra bits past the window: none
            int rest = PairBits - used;
            var follow = follows.Slice((1 << rest) - 1, 1 << rest);
            for (int extra = 0; extra < 1 << size; extra++)
            {
                ulong head = Pack(used, run, run, run, false, Extend(extra, size), 0);
                var entries = _pairs.AsSpan(start + (extra << rest), 1 << rest);
                for (int t = 0; t < entries.Length; t++)
                    entries[t] = head + follow[t];
            }
        }
    }

    // What the r bits after a first coefficient add to its entry, for each value of them: a second coefficient whose
    // code and extra bits fit in them, the end of block, or neither (the next position then gets a zero) - offsets
    // counted from the first's run, so that adding the two packed entries gives the pair's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Follow((int Code, int Length, int Symbol)[] codes, int r, Span<ulong> follow)
    {
        follow.Fill(Pack(0, 0, 1, 1, false, 0, 0));
        foreach (var (code, length, symbol) in codes)
        {
            if (length > r)
                continue;
            int start = code << (r - length);
            if (symbol == 0x00)
            {
                follow.Slice(start, 1 << (r - length)).Fill(Pack(length, 0, 1, 1, true, 0, 0));
                continue;
            }
            int run = symbol >> 4,
                size = symbol & 15,
                used = length + size;
            if (size == 0 || used > r)
                continue;
            for (int extra = 0; extra < 1 << size; extra++)
                follow
                    .Slice(start + (extra << (r - used)), 1 << (r - used))
                    .Fill(Pack(used, 0, 1 + run, 2 + run, false, 0, Extend(extra, size)));
        }
    }

    // The codes of at most LookupBits bits, with their lengths and symbols, as the one-symbol lookup holds them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (int Code, int Length, int Symbol)[] ShortCodes()
    {
        var codes = new List<(int, int, int)>();
        for (int window = 0; window < _fast.Length; )
        {
            int entry = _fast[window];
            if (entry == 0)
            {
                window++;
                continue;
            }
            int length = entry & 0xFF;
            codes.Add((window >> (LookupBits - length), length, entry >> 8));
            window += 1 << (LookupBits - length);
        }
        return [.. codes];
    }

    /// <summary>
    /// The table of a DHT entry's 16 code-length counts and its symbols, in the calling thread's own DC or AC table -
    /// rebuilt unless it was last built from the same entry, and valid until the thread asks for another table of the
    /// kind (for one image's decoding). Null for a table libjpeg refuses (more codes of a length than that length holds,
    /// the all-ones code included, which T.81 reserves; symbols missing or over 256) and for one that no 8-bit image
    /// needs, which the decoder then leaves to SkiaSharp: a DC difference over 11 bits or an AC coefficient over 10
    /// (T.81 F.1.2). Those bounds keep a symbol and its extra bits within 27 bits, so that two AC symbols always fit in
    /// what one refill of the bit buffer leaves.
    /// </summary>
    public static JpegHuffmanTable? ForThisThread(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols, bool ac)
    {
        if (!IsValid(counts, symbols, ac))
            return null;
        var table = ac ? t_ac ??= new JpegHuffmanTable(ac: true) : t_dc ??= new JpegHuffmanTable(ac: false);
        if (!table.BuiltFrom(counts, symbols))
            table.Build(counts, symbols);
        return table;
    }

    private static bool IsValid(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols, bool ac)
    {
        if (counts.Length != 16)
            return false;
        int total = 0,
            code = 0,
            longest = 0;
        for (int length = 1; length <= 16; length++)
            if (counts[length - 1] > 0)
                longest = length;
        for (int length = 1; length <= longest; length++)
        {
            total += counts[length - 1];
            code += counts[length - 1];
            if (code >= 1 << length)
                return false;
            code <<= 1;
        }
        if (total != symbols.Length || total > 256)
            return false;
        foreach (var symbol in symbols)
            if (ac ? (symbol & 15) > 10 : symbol > 11)
                return false;
        return true;
    }

    /// <summary>
    /// Per <see cref="PairBits"/>-bit prefix, the AC coefficients whose run/size codes and extra bits fit in it, at most
    /// two, and whether the block's end-of-block code follows them, laid out so that the decoding loop applies an entry
    /// without branching on its kind:
    /// bits 0-4 the bits consumed; bit 6 set when the block ends after it; bits 8-13 where the first coefficient goes,
    /// counted from the current zig-zag position (its run of zeros), bits 16-21 where the second goes (for a single
    /// coefficient, the next position, which gets a zero); bits 24-29 how far the position advances; bits 32-47 and
    /// 48-63 the two coefficients as signed 16-bit numbers. A prefix that starts with sixteen zeros or with a
    /// coefficient that does not fit has its first offset at 63, past any position a block allows, which sends the loop
    /// to the one-symbol path.
    /// </summary>
    public ulong[] PairCoefficients => _pairs;

    /// <summary>The first offset of a prefix the pair table does not decode (see <see cref="PairCoefficients"/>).</summary>
    public const int NoPair = 63;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Pack(int consumed, int first, int second, int advance, bool end, int value1, int value2) =>
        (uint)consumed
        | (end ? 64UL : 0UL)
        | (uint)first << 8
        | (uint)second << 16
        | (uint)advance << 24
        | (ulong)(ushort)(short)value1 << 32
        | (ulong)(ushort)(short)value2 << 48;

    /// <summary>
    /// Decodes the symbol at the front of <paramref name="next16"/> (the next 16 bits): its code length in the low byte,
    /// the symbol above; -1 for a bit pattern that is no code of this table (corrupt data).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Decode(int next16)
    {
        int entry = _fast[next16 >> (16 - LookupBits)];
        return entry != 0 ? entry : DecodeLong(next16);
    }

    // Annex F.2.2.3: a code longer than the lookup, found by its length's largest code.
    private int DecodeLong(int next16)
    {
        int length = LookupBits + 1;
        int code = next16 >> (16 - length);
        while (code > _maxCode[length])
        {
            if (++length > 16)
                return -1;
            code = next16 >> (16 - length);
        }
        return length | (_entry[SymbolsAt + code + _valueOffset[length]] << 8);
    }

    /// <summary>T.81 F.2.2.1 EXTEND: the <paramref name="size"/> extra bits as a signed coefficient.</summary>
    public static int Extend(int bits, int size) => bits < 1 << (size - 1) ? bits - (1 << size) + 1 : bits;
}
