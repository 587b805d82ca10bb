"""The contact sheet: every pause of every entry on one image, for review without watching."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from common.fsutil import atomic_path

THUMB_W = 320
COLS = 4
PAD = 12
LABEL_H = 30
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for p in FONT_PATHS:
        if Path(p).is_file():
            return ImageFont.truetype(p, size)
    return ImageFont.load_default()


def contact_sheet(rows: list[tuple[str, list[Path]]], dest: Path, title: str) -> Path:
    """One labelled band per entry, its pause frames as thumbnails (wrapping after ``COLS``)."""
    thumbs: list[tuple[str, list[Image.Image]]] = []
    thumb_h = THUMB_W * 9 // 16
    for label, paths in rows:
        imgs = []
        for p in paths:
            im = Image.open(p).convert("RGB")
            thumb_h = round(THUMB_W * im.height / im.width)
            imgs.append(im.resize((THUMB_W, thumb_h), Image.Resampling.LANCZOS))
        thumbs.append((label, imgs))
    width = PAD + COLS * (THUMB_W + PAD)
    height = PAD + 44
    for _, imgs in thumbs:
        n_lines = max(1, -(-len(imgs) // COLS))
        height += LABEL_H + n_lines * (thumb_h + PAD)
    sheet = Image.new("RGB", (width, height), (24, 26, 32))
    draw = ImageDraw.Draw(sheet)
    draw.text((PAD, PAD), title, fill=(236, 239, 244), font=_font(26))
    y = PAD + 44
    small = _font(18)
    for label, imgs in thumbs:
        draw.text((PAD, y + 4), label, fill=(255, 209, 102), font=small)
        y += LABEL_H
        for k, im in enumerate(imgs):
            x = PAD + (k % COLS) * (THUMB_W + PAD)
            if k and k % COLS == 0:
                y += thumb_h + PAD
            sheet.paste(im, (x, y))
            tag = str(k + 1)  # slide number in the bottom-right corner, on a dark tab
            tw = draw.textlength(tag, font=small)
            draw.rectangle(
                (x + THUMB_W - tw - 14, y + thumb_h - 26, x + THUMB_W, y + thumb_h), fill=(0, 0, 0)
            )
            draw.text((x + THUMB_W - tw - 7, y + thumb_h - 25), tag, fill=(255, 209, 102), font=small)
        y += thumb_h + PAD
    with atomic_path(dest) as tmp:
        sheet.save(tmp, format="PNG")
    return dest
