#!/usr/bin/env python3
"""Draw the plugin icon: a small network of nodes between an input and an output frame.

Usage: make_icon.py OUT.png   (the bundle carries it as Contents/Resources/<plugin id>.png, the name
OpenFX hosts look up). Deterministic: the same pixels on every run.
"""

import sys

from PIL import Image, ImageDraw

SIZE = 128


def main(out):
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, SIZE - 5, SIZE - 5), radius=22, fill=(28, 36, 48, 255))
    layers = [[40, 64, 88], [30, 52, 76, 98], [40, 64, 88]]
    xs = [30, 64, 98]
    points = [[(x, y) for y in ys] for x, ys in zip(xs, layers)]
    for left, right in zip(points, points[1:]):
        for a in left:
            for b in right:
                draw.line((a, b), fill=(90, 140, 190, 255), width=2)
    colours = [(240, 170, 60, 255), (120, 200, 240, 255), (130, 220, 140, 255)]
    for layer, colour in zip(points, colours):
        for x, y in layer:
            draw.ellipse((x - 7, y - 7, x + 7, y + 7), fill=colour, outline=(255, 255, 255, 255), width=2)
    image.save(out, optimize=True)


if __name__ == "__main__":
    main(sys.argv[1])
