"""Draws Attune's icons: the app icon (build/icon.png, which electron-builder turns into each platform's
format) and the tray icons: resources/trayTemplate.png and @2x (black on transparent, so macOS tints it
as a template image for light and dark menu bars) and resources/tray.png and @2x (the app icon, small,
readable on any Linux or Windows panel). Run with /usr/bin/python3 (needs Pillow: Debian's python3-pil)."""

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
SUPERSAMPLE = 4  # drawn large, then shrunk: smooth edges without an SVG renderer

# A waveform of five bars: (centre x, height), on a 24-unit grid.
BARS = [(4.3, 5), (8.7, 12), (13.1, 18), (17.5, 10), (21.4, 4)]
BAR_WIDTH = 2.6


def bars(draw, scale, offset, colour):
    for x, h in BARS:
        left, top = offset + (x - BAR_WIDTH / 2) * scale, offset + (12 - h / 2) * scale
        right, bottom = left + BAR_WIDTH * scale, top + h * scale
        draw.rounded_rectangle((left, top, right, bottom), radius=BAR_WIDTH * scale / 2, fill=colour)


def app_icon(size):
    big = size * SUPERSAMPLE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    # Diagonal teal-to-blue gradient inside a rounded square.
    grad = Image.new("RGBA", (big, big))
    px = grad.load()
    a, b = (43, 179, 163), (29, 95, 140)
    for y in range(big):
        for x in range(big):
            t = (x + y) / (2 * big - 2)
            px[x, y] = tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3)) + (255,)
    mask = Image.new("L", (big, big), 0)
    margin = big * 24 // 512
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, big - margin, big - margin), radius=big * 104 // 512, fill=255
    )
    img.paste(grad, (0, 0), mask)
    bars(ImageDraw.Draw(img), scale=big * 0.6 / 24, offset=big * 0.2, colour=(255, 255, 255, 255))
    return img.resize((size, size), Image.LANCZOS)


def tray_icon(size):
    big = size * SUPERSAMPLE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    bars(ImageDraw.Draw(img), scale=big / 24, offset=0, colour=(0, 0, 0, 255))
    return img.resize((size, size), Image.LANCZOS)


if __name__ == "__main__":
    app_icon(512).save(ROOT / "build" / "icon.png")
    (ROOT / "resources").mkdir(exist_ok=True)
    tray_icon(24).save(ROOT / "resources" / "trayTemplate.png")
    tray_icon(48).save(ROOT / "resources" / "trayTemplate@2x.png")
    app_icon(24).save(ROOT / "resources" / "tray.png")
    app_icon(48).save(ROOT / "resources" / "tray@2x.png")
