"""Bytes of a text file written by a spreadsheet, as text: the encodings Excel writes.

Excel's "CSV UTF-8" has a BOM, "Unicode Text" is UTF-16 with a BOM, and plain "CSV" on a
Vietnamese Windows is the ANSI code page, Windows-1258, which spells tone marks as separate
combining characters. Anything else gets one line telling the user how to save the file.
"""

from __future__ import annotations

import codecs
import unicodedata

SAVE_AS_HINT = (
    "save it from Excel with File > Save As > 'CSV UTF-8 (Comma delimited)', "
    "or as UTF-8 from another editor"
)

# UTF-32 before UTF-16: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_VOWELS = "aăâeêioôơuưy"
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", base + tone)
    for vowel in _VOWELS
    for base in (vowel, vowel.upper())
    for tone in ("", *_TONES)
) | {"đ", "Đ"}


# Typographic signs a Vietnamese document plausibly holds (Word's smart quotes and dashes).
PUNCTUATION = frozenset("\u00a0“”‘’–—…•₫€°«»")


class UndecodableText(ValueError):
    """The bytes are in no encoding we accept; the message says how to save the file."""


def decode_text(data: bytes) -> str:
    """The text of `data`: by its BOM, else UTF-8, else Windows-1258 if it reads as
    Vietnamese. Always NFC, so names compare equal to the ones typed in Telegram."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return unicodedata.normalize("NFC", data.decode(encoding))
            except UnicodeDecodeError as exc:
                raise UndecodableText(
                    f"the file starts like {encoding.upper()} but byte {exc.start} is not: "
                    + SAVE_AS_HINT
                ) from None
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    text = _windows_1258(data)
    if text is None:
        raise UndecodableText(
            "the file is not UTF-8, UTF-16 or Vietnamese Windows (cp1258) text: " + SAVE_AS_HINT
        )
    return text


def _windows_1258(data: bytes) -> str | None:
    """The text if `data` is plausibly Vietnamese in cp1258, else None.

    cp1258 maps nearly every byte to something, so decoding alone proves nothing: a Western
    (cp1252) file or a legacy font encoding (TCVN3, VNI) decodes too. Accept it only when
    every non-ASCII character is a Vietnamese letter or common punctuation, and no tone mark
    is left without a vowel.
    """
    if b"\x00" in data:
        return None
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        return None
    letters = 0
    for char in text:
        if char.isascii():
            continue
        if char in VIETNAMESE_LETTERS:
            letters += 1
        elif char not in PUNCTUATION:  # a foreign letter, a sign, or a lone tone mark
            return None
    return text if letters else None
