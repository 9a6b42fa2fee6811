#!/usr/bin/env bash
# Makes the DICOM conformance suite with other programs' writers and renderers, never with this library: Debian's
# dcmtk 3.6.7 (dcmconv, dcmcrle, dcmcjpeg, dcmcjpls, dcmdjpeg, img2dcm, dcmodify, dcmj2pnm), GDCM 3.0 (gdcmconv),
# libjpeg-turbo's cjpeg and ImageMagick 6. Each file's reference is what dcmj2pnm renders (for JPEG 2000, which dcmtk
# does not decode, what it renders of gdcmconv's decompression; for JPEG-LS, of dcmdjpls's). expected.tsv says, for
# each file, its reference and the frame read (the VOI dcmj2pnm was told to apply is in the loop below), or the words
# its refusal must hold. Run once by a developer (apt-get install dcmtk libgdcm-tools libjpeg-turbo-progs
# imagemagick); the outputs are committed.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf files reference expected.tsv work && mkdir files reference work
gray8=../explicit-le.dcm      # 96 x 80, 8 bits, MONOCHROME2 (README beside it)
gray12=../explicit-le-12bit.dcm # 96 x 80, 12 of 16 bits, window 1500/2500, rescale 1.5 x - 100
w=work
# --- sources of other kinds --------------------------------------------------------------------------------------
convert -size 96x80 -seed 5 plasma:fractal -depth 8 $w/colour.ppm
cjpeg -quality 92 $w/colour.ppm > $w/colour.jpg
img2dcm $w/colour.jpg $w/colour-jpeg.dcm                    # JPEG baseline, YBR_FULL_422 (JFIF YCbCr, 2x1 chroma)
dcmdjpeg $w/colour-jpeg.dcm $w/rgb.dcm                     # native RGB, colour-by-pixel
# three frames of the 12-bit image (the second inverted, the third halved) as one multi-frame native file
dcmdump +W $w $gray12 > /dev/null
raw=$(ls $w/*.raw | head -1)
python3 - "$raw" $w/frames.raw <<'PY'
import sys, struct
d = open(sys.argv[1], 'rb').read()
v = struct.unpack('<%dH' % (len(d)//2), d)
f2 = [4095 - x for x in v]; f3 = [x // 2 for x in v]
open(sys.argv[2], 'wb').write(d + struct.pack('<%dH' % len(v), *f2) + struct.pack('<%dH' % len(v), *f3))
PY
cp $gray12 $w/mf.dcm && dcmodify -q -nb -i "(0028,0008)=3" -if "(7fe0,0010)=$w/frames.raw" $w/mf.dcm
# 32-bit and 1-bit native pictures from the 12-bit values
python3 - "$raw" $w/v32.raw $w/v1.raw <<'PY'
import sys, struct
d = open(sys.argv[1], 'rb').read()
v = struct.unpack('<%dH' % (len(d)//2), d)
open(sys.argv[2], 'wb').write(struct.pack('<%dI' % len(v), *[x * 50000 for x in v]))
bits = [1 if x > 2000 else 0 for x in v]
out = bytearray((len(bits) + 7) // 8)
for i, b in enumerate(bits):
    out[i >> 3] |= b << (i & 7)
open(sys.argv[3], 'wb').write(bytes(out))
PY
cp $gray12 $w/b32.dcm && dcmodify -q -nb -m "(0028,0100)=32" -m "(0028,0101)=32" -m "(0028,0102)=31" -e "(0028,1050)" -e "(0028,1051)" \
  -if "(7fe0,0010)=$w/v32.raw" $w/b32.dcm
cp $gray12 $w/b1.dcm && dcmodify -q -nb -m "(0028,0100)=1" -m "(0028,0101)=1" -m "(0028,0102)=0" -e "(0028,1050)" -e "(0028,1051)" \
  -e "(0028,1052)" -e "(0028,1053)" -if "(7fe0,0010)=$w/v1.raw" $w/b1.dcm
# PALETTE COLOR: the 8-bit gray picture's values as indices into a 256-entry 16-bit palette (a blue-to-yellow ramp)
python3 - $w/red.raw $w/green.raw $w/blue.raw <<'PY'
import sys, struct
r = [min(65535, i * 257) for i in range(256)]; g = [min(65535, int(i * 0.8) * 257) for i in range(256)]
b = [(255 - i) * 257 for i in range(256)]
for path, t in zip(sys.argv[1:], (r, g, b)):
    open(path, 'wb').write(struct.pack('<256H', *t))
PY
palette() { dcmodify -q -nb -m "(0028,0004)=PALETTE COLOR" -i "(0028,1101)=256\\0\\16" -i "(0028,1102)=256\\0\\16" \
  -i "(0028,1103)=256\\0\\16" -if "(0028,1201)=$w/red.raw" -if "(0028,1202)=$w/green.raw" -if "(0028,1203)=$w/blue.raw" "$1"; }
cp $gray8 $w/palette.dcm && palette $w/palette.dcm
cp ../jpeg-baseline.dcm $w/palette-jpeg.dcm && palette $w/palette-jpeg.dcm
rm -f $w/*.bak files/*.bak
# --- the suite: name, how it is made ------------------------------------------------------------------------------
make() { local name=$1; shift; "$@"; }
make gray8-explicit-big-endian.dcm        dcmconv +tb $gray8 files/gray8-explicit-big-endian.dcm
make gray12-explicit-big-endian.dcm       dcmconv +tb $gray12 files/gray12-explicit-big-endian.dcm
make gray12-deflated.dcm                  dcmconv +td $gray12 files/gray12-deflated.dcm
make gray8-deflated.dcm                   dcmconv +td $gray8 files/gray8-deflated.dcm
make gray8-rle-dcmtk.dcm                  dcmcrle $gray8 files/gray8-rle-dcmtk.dcm
make gray12-rle-dcmtk.dcm                 dcmcrle $gray12 files/gray12-rle-dcmtk.dcm
make gray12-rle-gdcm.dcm                  gdcmconv --rle $gray12 files/gray12-rle-gdcm.dcm
make gray12-jpeg-extended-dcmtk.dcm       dcmcjpeg +ee $gray12 files/gray12-jpeg-extended-dcmtk.dcm
make gray8-jpeg-extended-dcmtk.dcm        dcmcjpeg +ee $gray8 files/gray8-jpeg-extended-dcmtk.dcm
make gray12-jpeg-lossless-gdcm.dcm        gdcmconv --jpeg $gray12 files/gray12-jpeg-lossless-gdcm.dcm
make gray8-jpegls-lossless-dcmtk.dcm      dcmcjpls $gray8 files/gray8-jpegls-lossless-dcmtk.dcm
make gray12-jpegls-lossless-dcmtk.dcm     dcmcjpls $gray12 files/gray12-jpegls-lossless-dcmtk.dcm
make gray12-jpegls-near2-dcmtk.dcm        dcmcjpls +en $gray12 files/gray12-jpegls-near2-dcmtk.dcm
make gray8-jpegls-near5-dcmtk.dcm         dcmcjpls +en +md 5 $gray8 files/gray8-jpegls-near5-dcmtk.dcm
make gray12-jpegls-gdcm.dcm               gdcmconv --jpegls $gray12 files/gray12-jpegls-gdcm.dcm
make gray12-j2k-lossless-gdcm.dcm         gdcmconv --j2k $gray12 files/gray12-j2k-lossless-gdcm.dcm
make gray12-j2k-lossy-gdcm.dcm            gdcmconv --j2k --lossy -r 10 $gray12 files/gray12-j2k-lossy-gdcm.dcm
make gray8-j2k-lossless-gdcm.dcm          gdcmconv --j2k $gray8 files/gray8-j2k-lossless-gdcm.dcm
make gray12-multiframe.dcm                cp $w/mf.dcm files/gray12-multiframe.dcm
make gray12-multiframe-rle.dcm            dcmcrle $w/mf.dcm files/gray12-multiframe-rle.dcm
make gray12-multiframe-jpegls.dcm         dcmcjpls $w/mf.dcm files/gray12-multiframe-jpegls.dcm
make gray32-native.dcm                    cp $w/b32.dcm files/gray32-native.dcm
make gray1-native.dcm                     cp $w/b1.dcm files/gray1-native.dcm
make rgb-jpeg-ycbcr.dcm                   cp $w/colour-jpeg.dcm files/rgb-jpeg-ycbcr.dcm
make rgb-native.dcm                       cp $w/rgb.dcm files/rgb-native.dcm
make rgb-native-planar.dcm                dcmdjpeg +pl $w/colour-jpeg.dcm files/rgb-native-planar.dcm
make ybr-full-native.dcm                  dcmdjpeg +cn $w/colour-jpeg.dcm files/ybr-full-native.dcm
make rgb-explicit-big-endian.dcm          dcmconv +tb $w/rgb.dcm files/rgb-explicit-big-endian.dcm
make rgb-rle-dcmtk.dcm                    dcmcrle $w/rgb.dcm files/rgb-rle-dcmtk.dcm
make rgb-jpeg-no-transform-dcmtk.dcm      dcmcjpeg +eb +cr $w/rgb.dcm files/rgb-jpeg-no-transform-dcmtk.dcm
make rgb-jpeg-ycbcr-dcmtk.dcm             dcmcjpeg +eb +cy $w/rgb.dcm files/rgb-jpeg-ycbcr-dcmtk.dcm
make rgb-jpegls-none-dcmtk.dcm            dcmcjpls +in $w/rgb.dcm files/rgb-jpegls-none-dcmtk.dcm
make rgb-jpegls-line-dcmtk.dcm            dcmcjpls +il $w/rgb.dcm files/rgb-jpegls-line-dcmtk.dcm
make rgb-jpegls-sample-dcmtk.dcm          dcmcjpls +is $w/rgb.dcm files/rgb-jpegls-sample-dcmtk.dcm
make rgb-j2k-lossless-gdcm.dcm            gdcmconv --j2k $w/rgb.dcm files/rgb-j2k-lossless-gdcm.dcm
make palette-native.dcm                   cp $w/palette.dcm files/palette-native.dcm
make palette-jpeg.dcm                     cp $w/palette-jpeg.dcm files/palette-jpeg.dcm
# Files refused by name: a syntax not read (HTJ2K), and a JPEG syntax over plain pixel data (a malformed file): the
# meta group's transfer syntax relabelled, its group length recomputed.
relabel() {
python3 - "$1" "$2" "$3" <<'PY'
import sys, struct
src, uid, out = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
d = open(src, 'rb').read()
pos, elements = 132, []
while d[pos:pos+2] == b'\x02\x00':
    group, elem = struct.unpack('<HH', d[pos:pos+4]); vr = d[pos+4:pos+6]
    if vr in (b'OB', b'OW', b'UN', b'SQ', b'UT'):
        length = struct.unpack('<I', d[pos+8:pos+12])[0]; head = 12
    else:
        length = struct.unpack('<H', d[pos+6:pos+8])[0]; head = 8
    elements.append((elem, vr, d[pos+head:pos+head+length])); pos += head + length
def enc(elem, vr, value):
    if len(value) % 2: value += b'\0'
    if vr in (b'OB', b'OW', b'UN', b'SQ', b'UT'):
        return struct.pack('<HH', 2, elem) + vr + b'\0\0' + struct.pack('<I', len(value)) + value
    return struct.pack('<HH', 2, elem) + vr + struct.pack('<H', len(value)) + value
body = b''.join(enc(e, vr, uid if e == 0x10 else v) for e, vr, v in elements if e != 0)
meta = enc(0, b'UL', struct.pack('<I', len(body))) + body
open(out, 'wb').write(d[:132] + meta + d[pos:])
PY
}
relabel $gray8 1.2.840.10008.1.2.4.201 files/refused-htj2k.dcm
relabel $gray8 1.2.840.10008.1.2.4.50 files/refused-jpeg-syntax-native-data.dcm
# --- references: what dcmj2pnm shows (the first window, else min-max for more than 8 bits, else as stored) ---------
: > expected.tsv
for f in files/*.dcm; do
  name=$(basename "$f" .dcm)
  source="$f"
  case "$name" in
    refused-*) ;;
    *j2k*) gdcmconv --raw "$f" $w/$name-raw.dcm; source=$w/$name-raw.dcm ;;      # dcmtk has no JPEG 2000 codec
    *jpegls*) dcmdjpls "$f" $w/$name-raw.dcm || true; source=$w/$name-raw.dcm ;;  # dcmj2pnm has no JPEG-LS codec
  esac
  frame=1; case "$name" in *multiframe*) frame=2 ;; esac
  voi=""
  if dcmdump "$f" | grep -q "(0028,1050)"; then voi="+Wi 1"
  elif dcmdump "$f" | grep -qE "\(0028,0100\) US (16|32)\b"; then voi="+Wm"
  elif dcmdump "$f" | grep -qE "\(0028,0100\) US 1\b"; then voi="+Wm"; fi
  case "$name" in rgb*|ybr*|palette*) ext=ppm ;; *) ext=pgm ;; esac
  case "$name" in
    refused-htj2k) printf '%s\t-\t1\t%s\n' "$name.dcm" "1.2.840.10008.1.2.4.201 (HTJ2K) is not read" >> expected.tsv ;;
    refused-jpeg-syntax-native-data) printf '%s\t-\t1\t%s\n' "$name.dcm" "needs encapsulated pixel data" >> expected.tsv ;;
    *) dcmj2pnm +F $frame $voi "$source" reference/$name.$ext
       printf '%s\t%s\t%s\t-\n' "$name.dcm" "$name.$ext" "$frame" >> expected.tsv ;;
  esac
done
rm -rf work
