#!/usr/bin/env bash
# Makes the JPEG variants our own JPEG decoder (GrayscaleJpegDecoder) is tested on, with libjpeg-turbo's own cjpeg
# (Debian: apt-get install libjpeg-turbo-progs; these were made with 2.1.5), not with our code: one gray test picture
# (gradient, disc, hard-edged bars, noise; odd sides, so edge blocks are partial) encoded every way a radiograph may
# come - standard and optimised Huffman tables, restart markers by rows and by blocks, very high and very low quality
# (the latter with 16-bit quantisation tables, SOF1), tiny sizes - and the forms the decoder must leave to SkiaSharp
# (progressive, arithmetic-coded, colour), plus EXIF orientation blocks written byte by byte. Run once by a developer;
# the outputs are committed.
set -euo pipefail
cd "$(dirname "$0")"
rm -f *.jpg *.pgm *.ppm
python3 - <<'PY'
import math
def picture(w, h, seed):
    state = seed
    rows = []
    for y in range(h):
        row = []
        for x in range(w):
            state = (state * 1103515245 + 12345) & 0x7fffffff
            v = 40 + 150 * x / max(1, w - 1) + 30 * math.sin(y / 9.0)
            if (x - 0.6 * w) ** 2 + (y - 0.4 * h) ** 2 < (0.2 * min(w, h)) ** 2: v += 60
            if 0.15 * w < x < 0.3 * w and (y // 6) % 2 == 0: v = 250
            if y > 0.85 * h: v = 5
            v += (state % 13) - 6
            row.append(max(0, min(255, int(round(v)))))
        rows.append(row)
    return rows
def pgm(name, w, h, seed):
    with open(name, "wb") as f:
        f.write(b"P5 %d %d 255\n" % (w, h))
        f.write(bytes(v for row in picture(w, h, seed) for v in row))
def ppm(name, w, h):
    with open(name, "wb") as f:
        f.write(b"P6 %d %d 255\n" % (w, h))
        f.write(bytes(c for row in picture(w, h, 5) for v in row for c in (v, 255 - v, (v * 3) % 256)))
pgm("picture.pgm", 203, 157, 1)
pgm("tiny-1x1.pgm", 1, 1, 2)
pgm("block-8x8.pgm", 8, 8, 3)
pgm("odd-9x17.pgm", 9, 17, 4)
ppm("colour.ppm", 40, 24)
PY
cjpeg -grayscale -quality 90 -outfile standard-tables.jpg picture.pgm
cjpeg -grayscale -quality 90 -optimize -outfile optimized-tables.jpg picture.pgm
cjpeg -grayscale -quality 100 -outfile quality-100.jpg picture.pgm
cjpeg -grayscale -quality 10 -outfile quality-10.jpg picture.pgm
cjpeg -grayscale -quality 2 -outfile quality-2-16bit-tables.jpg picture.pgm
cjpeg -grayscale -quality 90 -restart 1 -outfile restart-every-row.jpg picture.pgm
cjpeg -grayscale -quality 90 -restart 7B -outfile restart-every-7-blocks.jpg picture.pgm
cjpeg -grayscale -quality 90 -outfile tiny-1x1.jpg tiny-1x1.pgm
cjpeg -grayscale -quality 90 -outfile block-8x8.jpg block-8x8.pgm
cjpeg -grayscale -quality 90 -outfile odd-9x17.jpg odd-9x17.pgm
cjpeg -grayscale -quality 90 -progressive -outfile progressive.jpg picture.pgm
cjpeg -grayscale -quality 90 -arithmetic -outfile arithmetic.jpg picture.pgm
cjpeg -quality 90 -outfile colour.jpg colour.ppm
python3 - <<'PY'
import struct
def exif(orientation, big_endian=False, with_tag=True):
    e = ">" if big_endian else "<"
    entries = [(0x010F, 2, 4, b"Acme")]  # Make, ASCII, 4 bytes inline
    if with_tag:
        entries.append((0x0112, 3, 1, struct.pack(e + "HH", orientation, 0)))
    ifd = struct.pack(e + "H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack(e + "HHI", tag, kind, count) + value
    ifd += struct.pack(e + "I", 0)
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8) + ifd
    body = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
def insert(source, target, *segments):
    data = open(source, "rb").read()
    open(target, "wb").write(data[:2] + b"".join(segments) + data[2:])
insert("standard-tables.jpg", "exif-orientation-6.jpg", exif(6))
insert("standard-tables.jpg", "exif-orientation-8-big-endian.jpg", exif(8, big_endian=True))
insert("standard-tables.jpg", "exif-second-block-orientation-3.jpg", exif(1, with_tag=False), exif(3))
insert("standard-tables.jpg", "exif-orientation-9-invalid.jpg", exif(9))
PY
rm -f *.pgm *.ppm
