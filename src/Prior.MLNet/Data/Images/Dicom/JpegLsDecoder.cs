namespace Prior.MLNet.Data.Images.Dicom;

/// <summary>
/// Decodes JPEG-LS (ITU-T T.87 / ISO 14495-1), lossless and near-lossless, the LOCO-I coder DICOM carries as transfer
/// syntaxes 1.2.840.10008.1.2.4.80 and .81: the median edge predictor corrected by a context's bias, Golomb-coded
/// residuals in 365 gradient contexts, and run mode for flat stretches, 2 to 16 bits. One component, or several each
/// in its own scan or interleaved line by line or sample by sample (one scan for all). The declared size is
/// checked against the pixel budget before anything is allocated, and data that ends before the last sample is
/// refused naming how far it got, never filled. Preset parameters (LSE, id 1) are honoured, the defaults of T.87 C.2.4.1
/// used otherwise.
/// </summary>
internal static class JpegLsDecoder
{
    // T.87 A.7.1.2: the run-length order for each run index.
    private static readonly int[] J =
    [
        0,
        0,
        0,
        0,
        1,
        1,
        1,
        1,
        2,
        2,
        2,
        2,
        3,
        3,
        3,
        3,
        4,
        4,
        5,
        5,
        6,
        6,
        7,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
        15,
    ];

    /// <summary>Decodes <paramref name="data"/> (SOI to EOI); <paramref name="source"/> names it in errors.</summary>
    public static DecodedSamples Decode(ReadOnlySpan<byte> data, string source, long maxPixels)
    {
        var segments = new JpegSegments(data, source, "JPEG-LS");
        int precision = 0,
            width = 0,
            height = 0,
            components = 0,
            decodedScans = 0;
        var ids = new List<int>();
        int[][]? planes = null;
        var preset = new Preset();
        while (segments.Next(out byte marker, out var segment))
        {
            switch (marker)
            {
                case 0xF7: // SOF55
                    if (segment.Length < 6)
                        throw new InvalidDataException($"{source}: the JPEG-LS frame header is cut short.");
                    precision = segment[0];
                    height = (segment[1] << 8) | segment[2];
                    width = (segment[3] << 8) | segment[4];
                    components = segment[5];
                    if (precision is < 2 or > 16 || width < 1 || height < 1 || components is < 1 or > 4)
                        throw new InvalidDataException(
                            $"{source}: a JPEG-LS frame of {width:N0} × {height:N0} × {components} at {precision} bits is not read."
                        );
                    if (segment.Length < 6 + 3 * components)
                        throw new InvalidDataException($"{source}: the JPEG-LS frame header is cut short.");
                    for (int c = 0; c < components; c++)
                    {
                        ids.Add(segment[6 + 3 * c]);
                        if (segment[7 + 3 * c] != 0x11)
                            throw new InvalidDataException($"{source}: JPEG-LS with subsampled components is not read.");
                    }
                    ImageBudget.ThrowIfOver(source, width, height, maxPixels);
                    break;
                case 0xF8: // LSE
                    if (segment.Length < 1 || segment[0] != 1 || segment.Length < 11)
                        throw new InvalidDataException(
                            $"{source}: a JPEG-LS LSE segment of id {(segment.Length > 0 ? segment[0] : 0)} (mapping tables or oversize "
                                + "dimensions) is not read."
                        );
                    preset = new Preset(
                        (segment[1] << 8) | segment[2],
                        (segment[3] << 8) | segment[4],
                        (segment[5] << 8) | segment[6],
                        (segment[7] << 8) | segment[8],
                        (segment[9] << 8) | segment[10]
                    );
                    break;
                case 0xDA:
                {
                    if (width == 0)
                        throw new InvalidDataException($"{source}: the scan comes before the JPEG-LS frame header (SOF55).");
                    int scanComponents = segment[0];
                    if (segment.Length < 4 + 2 * scanComponents || scanComponents < 1)
                        throw new InvalidDataException($"{source}: the JPEG-LS scan header is cut short.");
                    int near = segment[1 + 2 * scanComponents],
                        interleave = segment[2 + 2 * scanComponents],
                        pointTransform = segment[3 + 2 * scanComponents] & 0x0F;
                    if (scanComponents > 1 && interleave is not (1 or 2))
                        throw new InvalidDataException(
                            $"{source}: a JPEG-LS scan of {scanComponents} components with interleave mode {interleave} is not valid."
                        );
                    if (pointTransform != 0)
                        throw new InvalidDataException($"{source}: a JPEG-LS point transform ({pointTransform}) is not read.");
                    var scanIndex = new int[scanComponents];
                    planes ??= new int[components][];
                    for (int i = 0; i < scanComponents; i++)
                    {
                        int component = ids.IndexOf(segment[1 + 2 * i]);
                        if (component < 0)
                            throw new InvalidDataException(
                                $"{source}: the JPEG-LS scan codes component {segment[1 + 2 * i]}, which the frame lacks."
                            );
                        scanIndex[i] = component;
                    }
                    var scan = data[segments.End..];
                    // Each line costs at least one bit (a run of a whole line is one bit at the longest run order).
                    if (8L * scan.Length < height)
                        throw new InvalidDataException(
                            $"{source}: corrupt: the JPEG-LS data declares {height:N0} lines and holds {scan.Length:N0} bytes "
                                + "of coded data."
                        );
                    var parameters = preset.Resolve(precision, near, source);
                    var scanPlanes = new int[scanComponents][];
                    int used = DecodeScan(scan, scanPlanes, scanComponents > 1 ? interleave : 0, width, height, parameters, source);
                    for (int i = 0; i < scanComponents; i++)
                        planes[scanIndex[i]] = scanPlanes[i];
                    decodedScans += scanComponents;
                    // The scan's last byte may be padding the decoder never read: on to the marker that ends the scan.
                    int next = segments.End + used;
                    while (next + 1 < data.Length && !(data[next] == 0xFF && data[next + 1] >= 0x80))
                        next++;
                    segments.MoveTo(next);
                    break;
                }
                case 0xC0 or 0xC1 or 0xC2 or 0xC3:
                    throw new InvalidDataException($"{source}: the frame (marker FF{marker:X2}) is JPEG, not JPEG-LS.");
            }
        }
        if (planes is null || decodedScans < components || planes.Any(p => p is null))
            throw new InvalidDataException($"{source}: truncated: the JPEG-LS data ends before a scan of each component.");
        return new DecodedSamples(planes, width, height, precision);
    }

    /// <summary>An LSE preset (zeros meaning 'the default').</summary>
    private readonly record struct Preset(int MaxValue = 0, int T1 = 0, int T2 = 0, int T3 = 0, int Reset = 0)
    {
        public Parameters Resolve(int precision, int near, string source)
        {
            int maxValue = MaxValue > 0 ? MaxValue : (1 << precision) - 1;
            if (near < 0 || near > Math.Min(255, maxValue / 2))
                throw new InvalidDataException($"{source}: JPEG-LS NEAR {near} is not valid for a maximum sample value of {maxValue}.");
            int t1,
                t2,
                t3;
            // T.87 C.2.4.1.1: the default thresholds.
            if (maxValue >= 128)
            {
                int factor = (Math.Min(maxValue, 4095) + 128) >> 8;
                t1 = Clamp(factor * (3 - 2) + 2 + 3 * near, near + 1, maxValue);
                t2 = Clamp(factor * (7 - 3) + 3 + 5 * near, t1, maxValue);
                t3 = Clamp(factor * (21 - 4) + 4 + 7 * near, t2, maxValue);
            }
            else
            {
                int factor = 256 / (maxValue + 1);
                t1 = Clamp(Math.Max(2, 3 / factor + 3 * near), near + 1, maxValue);
                t2 = Clamp(Math.Max(3, 7 / factor + 5 * near), t1, maxValue);
                t3 = Clamp(Math.Max(4, 21 / factor + 7 * near), t2, maxValue);
            }
            return new Parameters(maxValue, near, T1 > 0 ? T1 : t1, T2 > 0 ? T2 : t2, T3 > 0 ? T3 : t3, Reset > 0 ? Reset : 64);
        }

        private static int Clamp(int i, int j, int maxValue) => i > maxValue || i < j ? j : i;
    }

    private sealed class Parameters
    {
        public Parameters(int maxValue, int near, int t1, int t2, int t3, int reset)
        {
            (MaxValue, Near, T1, T2, T3, Reset) = (maxValue, near, t1, t2, t3, reset);
            Range = (maxValue + 2 * near) / (2 * near + 1) + 1;
            int qbpp = 0;
            while (1 << qbpp < Range)
                qbpp++;
            Qbpp = qbpp;
            int bpp = 0;
            while (1 << bpp < maxValue + 1)
                bpp++;
            bpp = Math.Max(2, bpp);
            Limit = 2 * (bpp + Math.Max(8, bpp));
        }

        public int MaxValue { get; }
        public int Near { get; }
        public int T1 { get; }
        public int T2 { get; }
        public int T3 { get; }
        public int Reset { get; }
        public int Range { get; }
        public int Qbpp { get; }
        public int Limit { get; }
    }

    // The context variables of one scan (A.2.1, A.7.1), shared by all its components: 365 regular contexts, indexed here
    // by the 9 × 9 × 9 quantised gradients (only the normalised third is used), and the two run-interruption contexts.
    private sealed class Contexts
    {
        public Contexts(Parameters p)
        {
            P = p;
            int initialA = Math.Max(2, (p.Range + 32) / 64);
            Array.Fill(A, initialA);
            Array.Fill(N, 1);
            RunA = [initialA, initialA];
        }

        public Parameters P { get; }
        public int[] A { get; } = new int[729];
        public int[] B { get; } = new int[729];
        public int[] C { get; } = new int[729];
        public int[] N { get; } = new int[729];
        public int[] RunA { get; }
        public int[] RunN { get; } = [1, 1];
        public int[] RunNn { get; } = [0, 0];
    }

    // Two lines of one component with a sample of border at each end: [0] is Ra of a line's first sample, [width + 1] Rd
    // of its last.
    private sealed class Lines(int width)
    {
        public int[] Previous = new int[width + 2];
        public int[] Current = new int[width + 2];
        public int RunIndex;

        public void Begin(int width)
        {
            Previous[width + 1] = Previous[width];
            Current[0] = Previous[1];
        }

        public void End(int[][] rows, int width, int y)
        {
            rows[y] = Current.AsSpan(1, width).ToArray();
            (Previous, Current) = (Current, Previous);
        }
    }

    // Decodes one scan of the given components: one (interleave 0), several line by line (1) or sample by sample (2).
    // Returns the bytes of scan data consumed, up to (not including) the marker that ends it.
    private static int DecodeScan(
        ReadOnlySpan<byte> scan,
        int[][] planes,
        int interleave,
        int width,
        int height,
        Parameters p,
        string source
    )
    {
        // Rows are kept as they are decoded and joined at the end: JPEG-LS codes a flat line in one bit, so a small file
        // may declare a huge picture honestly, and memory grows only as far as the data really goes.
        var rows = planes.Select(_ => new int[height][]).ToArray();
        var contexts = new Contexts(p);
        var lines = planes.Select(_ => new Lines(width)).ToArray();
        var bits = new LsBits(scan);
        long total = (long)width * height * planes.Length;
        for (int y = 0; y < height; y++)
        {
            if (interleave == 2)
            {
                foreach (var l in lines)
                    l.Begin(width);
                SampleInterleavedLine(ref bits, contexts, lines, width, (long)y * width * planes.Length, total, source);
                for (int c = 0; c < planes.Length; c++)
                    lines[c].End(rows[c], width, y);
                continue;
            }
            for (int c = 0; c < planes.Length; c++)
            {
                lines[c].Begin(width);
                Line(ref bits, contexts, lines[c], width, ((long)y * planes.Length + c) * width, total, source);
                lines[c].End(rows[c], width, y);
            }
        }
        for (int c = 0; c < planes.Length; c++)
        {
            planes[c] = new int[(long)width * height];
            for (int y = 0; y < height; y++)
                rows[c][y].CopyTo(planes[c], (long)y * width);
        }
        return bits.Position;
    }

    // One line of one component (A.3-A.7): regular samples, and runs with their interruption sample.
    private static void Line(ref LsBits bits, Contexts s, Lines l, int width, long first, long total, string source)
    {
        var p = s.P;
        int near = p.Near;
        int[] previous = l.Previous,
            current = l.Current;
        for (int x = 1; x <= width; )
        {
            int ra = current[x - 1],
                rb = previous[x],
                rc = previous[x - 1],
                rd = previous[x + 1];
            int d1 = rd - rb,
                d2 = rb - rc,
                d3 = rc - ra;
            if (Math.Abs(d1) <= near && Math.Abs(d2) <= near && Math.Abs(d3) <= near)
            {
                int left = width - x + 1;
                int run = Run(ref bits, ref l.RunIndex, left, first + x - 1, total, source);
                for (int i = 0; i < run; i++)
                    current[x + i] = ra;
                x += run;
                if (run == left)
                    break;
                rb = previous[x];
                int type = Math.Abs(ra - rb) <= near ? 1 : 0;
                int error = InterruptionError(ref bits, s, type, l.RunIndex, first + x - 1, total, source);
                current[x] = type == 1 ? Reconstruct(ra, error, p) : Reconstruct(rb, rb - ra < 0 ? -error : error, p);
                l.RunIndex = Math.Max(0, l.RunIndex - 1);
                x++;
                continue;
            }
            current[x] = Regular(ref bits, s, ra, rb, rc, d1, d2, d3, first + x - 1, total, source);
            x++;
        }
    }

    // One line of all components sample by sample (interleave 2): run mode only where every component is flat, a run
    // of whole pixels, its interruption coded component by component in the first run context.
    private static void SampleInterleavedLine(ref LsBits bits, Contexts s, Lines[] lines, int width, long first, long total, string source)
    {
        var p = s.P;
        int near = p.Near,
            count = lines.Length;
        for (int x = 1; x <= width; )
        {
            bool flat = true;
            foreach (var l in lines)
            {
                int ra = l.Current[x - 1],
                    rb = l.Previous[x],
                    rc = l.Previous[x - 1],
                    rd = l.Previous[x + 1];
                if (Math.Abs(rd - rb) > near || Math.Abs(rb - rc) > near || Math.Abs(rc - ra) > near)
                {
                    flat = false;
                    break;
                }
            }
            long at = first + (long)(x - 1) * count;
            if (flat)
            {
                int left = width - x + 1;
                ref int runIndex = ref lines[0].RunIndex;
                int run = Run(ref bits, ref runIndex, left, at, total, source);
                foreach (var l in lines)
                    for (int i = 0; i < run; i++)
                        l.Current[x + i] = l.Current[x - 1];
                x += run;
                if (run == left)
                    break;
                foreach (var l in lines)
                {
                    int ra = l.Current[x - 1],
                        rb = l.Previous[x];
                    int error = InterruptionError(ref bits, s, 0, runIndex, first + (long)(x - 1) * count, total, source);
                    l.Current[x] = Reconstruct(rb, rb - ra < 0 ? -error : error, p);
                }
                runIndex = Math.Max(0, runIndex - 1);
                x++;
                continue;
            }
            foreach (var l in lines)
            {
                int ra = l.Current[x - 1],
                    rb = l.Previous[x],
                    rc = l.Previous[x - 1],
                    rd = l.Previous[x + 1];
                l.Current[x] = Regular(ref bits, s, ra, rb, rc, rd - rb, rb - rc, rc - ra, at, total, source);
            }
            x++;
        }
    }

    // A run's length (A.7.1): a 1 bit for each full run of 2^J[index] samples (the index growing), a 0 and J bits for
    // the remainder unless the line ended.
    private static int Run(ref LsBits bits, ref int runIndex, int left, long at, long total, string source)
    {
        int run = 0;
        while (run < left && bits.ReadBit() == 1)
        {
            int count = Math.Min(1 << J[runIndex], left - run);
            run += count;
            if (count == 1 << J[runIndex])
                runIndex = Math.Min(31, runIndex + 1);
            if (bits.Exhausted)
                break;
        }
        if (run < left)
            run += J[runIndex] > 0 ? bits.Read(J[runIndex]) : 0;
        if (run > left || bits.Exhausted)
            throw Corrupt(source, at, total, bits.Exhausted);
        return run;
    }

    // The run-interruption sample's error (A.7.2), and its context's update.
    private static int InterruptionError(ref LsBits bits, Contexts s, int type, int runIndex, long at, long total, string source)
    {
        var p = s.P;
        int temp = s.RunA[type] + (s.RunN[type] >> 1) * type,
            k = 0;
        for (int test = s.RunN[type]; test < temp; test <<= 1)
            k++;
        int mapped = Golomb(ref bits, k, p.Limit - J[runIndex] - 1, p.Qbpp, source, at, total);
        int t = mapped + type,
            map = t & 1,
            magnitude = (t + map) / 2;
        int error = (k != 0 || 2 * s.RunNn[type] >= s.RunN[type]) == (map != 0) ? -magnitude : magnitude;
        if (error < 0)
            s.RunNn[type]++;
        s.RunA[type] += (mapped + 1 - type) >> 1;
        if (s.RunN[type] == p.Reset)
        {
            s.RunA[type] >>= 1;
            s.RunN[type] >>= 1;
            s.RunNn[type] >>= 1;
        }
        s.RunN[type]++;
        return error;
    }

    // A regular-mode sample (A.3-A.6): gradients quantised to a context, the median edge predictor corrected by the
    // context's bias, the Golomb-coded error, the context's update.
    private static int Regular(
        ref LsBits bits,
        Contexts s,
        int ra,
        int rb,
        int rc,
        int d1,
        int d2,
        int d3,
        long at,
        long total,
        string source
    )
    {
        var p = s.P;
        int q1 = Quantise(d1, p),
            q2 = Quantise(d2, p),
            q3 = Quantise(d3, p);
        int sign = 1;
        if (q1 < 0 || (q1 == 0 && (q2 < 0 || (q2 == 0 && q3 < 0))))
        {
            (q1, q2, q3) = (-q1, -q2, -q3);
            sign = -1;
        }
        int q = 81 * (q1 + 4) + 9 * (q2 + 4) + (q3 + 4);
        int predicted =
            rc >= Math.Max(ra, rb) ? Math.Min(ra, rb)
            : rc <= Math.Min(ra, rb) ? Math.Max(ra, rb)
            : ra + rb - rc;
        int[] a = s.A,
            b = s.B,
            c = s.C,
            n = s.N;
        predicted = Math.Clamp(predicted + sign * c[q], 0, p.MaxValue);
        int k = 0;
        while (n[q] << k < a[q])
            k++;
        int value = Golomb(ref bits, k, p.Limit, p.Qbpp, source, at, total);
        int error = (value & 1) == 0 ? value >> 1 : -((value + 1) >> 1);
        if (k == 0 && p.Near == 0 && 2 * b[q] <= -n[q])
            error = -error - 1;
        a[q] += Math.Abs(error);
        b[q] += error * (2 * p.Near + 1);
        if (n[q] == p.Reset)
        {
            a[q] >>= 1;
            b[q] >>= 1;
            n[q] >>= 1;
        }
        n[q]++;
        if (b[q] <= -n[q])
        {
            b[q] += n[q];
            if (c[q] > -128)
                c[q]--;
            if (b[q] <= -n[q])
                b[q] = -n[q] + 1;
        }
        else if (b[q] > 0)
        {
            b[q] -= n[q];
            if (c[q] < 127)
                c[q]++;
            if (b[q] > 0)
                b[q] = 0;
        }
        return Reconstruct(predicted, sign * error, p);
    }

    private static int Quantise(int d, Parameters p) =>
        d <= -p.T3 ? -4
        : d <= -p.T2 ? -3
        : d <= -p.T1 ? -2
        : d < -p.Near ? -1
        : d <= p.Near ? 0
        : d < p.T1 ? 1
        : d < p.T2 ? 2
        : d < p.T3 ? 3
        : 4;

    // The prediction plus the dequantised error, brought back into range modulo RANGE (A.4.5), then clamped.
    private static int Reconstruct(int predicted, int error, Parameters p)
    {
        int step = 2 * p.Near + 1;
        int value = predicted + error * step;
        if (value < -p.Near)
            value += p.Range * step;
        else if (value > p.MaxValue + p.Near)
            value -= p.Range * step;
        return Math.Clamp(value, 0, p.MaxValue);
    }

    // A limited-length Golomb code (A.5.3): unary high bits, then k low bits; at the limit, qbpp bits of value - 1.
    private static int Golomb(ref LsBits bits, int k, int limit, int qbpp, string source, long at, long total)
    {
        int high = 0;
        while (bits.ReadBit() == 0)
        {
            high++;
            if (high > limit || bits.Exhausted)
                throw Corrupt(source, at, total, bits.Exhausted);
        }
        if (high >= limit - qbpp - 1)
            return bits.Read(qbpp) + 1;
        return k == 0 ? high : (high << k) | bits.Read(k);
    }

    private static InvalidDataException Corrupt(string source, long at, long total, bool exhausted) =>
        new(
            exhausted
                ? $"{source}: corrupt: the JPEG-LS data ends after {at:N0} of {total:N0} samples."
                : $"{source}: corrupt: the JPEG-LS data holds an impossible code at sample {at + 1:N0} of {total:N0}."
        );

    /// <summary>
    /// JPEG-LS scan bits (T.87 A.1): after a 0xFF byte the next byte carries seven bits, its top bit a stuffed zero; 0xFF
    /// followed by a byte with the top bit set is a marker, where the scan ends. Reading past it sets
    /// <see cref="Exhausted"/>.
    /// </summary>
    private ref struct LsBits(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _byte;
        private int _left;
        private bool _afterFF;

        public int Position { get; private set; }
        public bool Exhausted { get; private set; }

        public int ReadBit()
        {
            if (_left == 0)
            {
                if (Position >= _data.Length || (_afterFF && _data[Position] >= 0x80))
                {
                    Exhausted = true;
                    _byte = 0;
                    _left = 8;
                }
                else
                {
                    _byte = _data[Position++];
                    _left = _afterFF ? 7 : 8;
                    _afterFF = _byte == 0xFF;
                }
            }
            _left--;
            return (_byte >> _left) & 1;
        }

        public int Read(int count)
        {
            int value = 0;
            for (int i = 0; i < count; i++)
                value = (value << 1) | ReadBit();
            return value;
        }
    }
}
