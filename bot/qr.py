"""QR code pictures of invitation links: village secretaries are often invited on paper, and
a phone's camera opens the link from the printed code.

Drawn with segno (pure Python, no Pillow needed at run time); the tests decode the picture
back with zxing-cpp.
"""

from __future__ import annotations

import io

import segno

# Pixels per module: a 33-module code (a t.me link) with its quiet zone is ~330 px, sharp
# on a phone and on paper; Telegram rescales photos anyway.
SCALE = 8
BORDER = 4  # the quiet zone the standard asks for, in modules


def qr_png(text: str, *, scale: int = SCALE) -> bytes:
    """A PNG picture of a QR code holding `text` (error correction M: survives a crease)."""
    code = segno.make_qr(text, error="m")
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()
