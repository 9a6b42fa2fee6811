#!/usr/bin/env bash
# Makes the image test folder with independent tools (ImageMagick 6, exiftool, Pillow), not with our code, and the
# reference gray values Pillow gives (ImageOps.exif_transpose then convert('L'), the ITU-R 601 luma). Run once by a
# developer (apt-get install imagemagick libimage-exiftool-perl python3-pil python3-numpy); the outputs are committed.
set -euo pipefail
cd "$(dirname "$0")"
rm -f *.jpg *.png *.json
scene() { convert -size "$1" "$2" -fill 'rgb(200,40,90)' -draw 'circle 20,14 20,4' -fill 'rgb(30,160,220)' -draw 'rectangle 30,18 44,26' "${@:3}"; }
scene 48x32 gradient:black-white -colorspace Gray -interlace none -quality 92 gray-baseline.jpg
scene 48x32 gradient:black-white -colorspace Gray -interlace Plane -quality 92 gray-progressive.jpg
scene 48x32 gradient:navy-orange -interlace none -quality 95 -set comment 'Adobe Photoshop CS6 (Windows)' rgb-baseline.jpg
scene 48x32 gradient:navy-orange -interlace Plane -quality 95 rgb-progressive.jpg
scene 48x32 gradient:navy-orange -interlace none -quality 95 rgb-exif-rotated.jpg
exiftool -q -overwrite_original -Orientation#=6 rgb-exif-rotated.jpg
scene 48x32 gradient:navy-orange -colorspace CMYK -quality 95 cmyk.jpg
scene 48x32 gradient:black-white -colorspace Gray -depth 8 gray8.png
scene 48x32 gradient:black-white -colorspace Gray -depth 16 gray16.png
scene 48x32 gradient:navy-orange -depth 8 PNG24:rgb.png
scene 48x32 gradient:navy-orange -alpha set -channel A -evaluate set 60% +channel -depth 8 PNG32:rgba.png
convert -size 1x1 xc:'rgb(120,120,120)' -colorspace Gray tiny-1x1.jpg
convert -size 4200x3400 gradient:black-white -colorspace Gray -quality 80 huge-4200x3400.jpg
cp gray8.png png-named.jpg
head -c 600 rgb-progressive.jpg > truncated.jpg
head -c 60000 huge-4200x3400.jpg > truncated-baseline.jpg
head -c 300 gray8.png > truncated.png
: > empty.jpg
printf 'this is a radiology report, not an image\n' > text.jpg
/usr/bin/python3 - <<'PY'
import json, numpy as np
from PIL import Image, ImageOps
out = {}
for name in ["gray-baseline.jpg", "gray-progressive.jpg", "rgb-baseline.jpg", "rgb-progressive.jpg", "rgb-exif-rotated.jpg",
             "cmyk.jpg", "gray8.png", "gray16.png", "rgb.png", "rgba.png", "tiny-1x1.jpg", "huge-4200x3400.jpg", "png-named.jpg"]:
    im = ImageOps.exif_transpose(Image.open(name))
    if im.mode.startswith("I;16") or im.mode == "I":
        # Pillow's convert('L') clips 16-bit values at 255; the faithful 8-bit value is v / 257, rounded.
        a = np.rint(np.asarray(im, dtype=np.float64) / 257.0).astype(np.uint8)
    else:
        a = np.asarray(im.convert("L"))
    h, w = a.shape
    entry = {"width": w, "height": h, "mean": float(a.mean()), "mode": im.mode}
    if w * h <= 64 * 64:
        entry["pixels"] = a.flatten().tolist()
    out[name] = entry
json.dump(out, open("expected.json", "w"), indent=1)
PY
