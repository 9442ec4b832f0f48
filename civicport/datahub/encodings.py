"""Vietnamese encodings: detect and repair UTF-8, Windows-1258, TCVN3 (ABC) and VNI.

Python has cp1258 but no TCVN3 or VNI codec, and generic detectors name neither (their
bytes look like cp1252). The two tables below were written for this project from the
published character tables:

* TCVN3 = VSCII-3 (TCVN 5712:1993, part 3): ASCII plus 67 lower-case letters, 7 upper-case
  letters without tone (Ă Â Ê Ô Ơ Ư Đ) and the no-break space (Wikipedia "VSCII", code chart
  of VSCII-3). Tone-marked capitals have no code: they were typed with an all-capitals font,
  so they decode to lower case — the one loss a repair cannot undo.
* VNI (VNI-Windows): a base ASCII letter followed by one mark byte, the bytes being what a
  cp1252 font shows (Wikipedia "VNI", VNI encoding chart): e.g. `a` + 0xF9 = á, `a` + 0xF8 = à,
  0xF1 = đ, 0xF4 = ơ, 0xF6 = ư; upper-case marks are the upper-case cp1252 letters.

Text is returned NFC (cp1258 decodes to base letter + combining tone mark).
"""

import codecs
import re
import unicodedata
from collections import Counter

# --- the tables ------------------------------------------------------------------------------

_TONES = "\u0300\u0309\u0303\u0301\u0323"  # grave, hook, tilde, acute, dot below (TCVN order)


def _toned(base: str) -> list[str]:
    return [unicodedata.normalize("NFC", base + tone) for tone in _TONES]


# TCVN3: byte → character. Each toned vowel group is listed grave, hook, tilde, acute, dot.
_TCVN3_GROUPS = [
    (0xB5, "a", None), (0xBB, "ă", 0xC6), (0xC7, "â", None), (0xCC, "e", None),
    (0xD2, "ê", None), (0xD7, "i", None), (0xDF, "o", None), (0xE5, "ô", None),
    (0xEA, "ơ", None), (0xEF, "u", None), (0xF5, "ư", None), (0xFA, "y", None),
]
# Codes skipped inside a group (the gaps hold VSCII-2 capitals, absent from TCVN3).
_TCVN3_SKIPS = {0xBA, 0xCD, 0xD9, 0xDA, 0xDB, 0xE0, 0xF0}


def _tcvn3_table() -> dict[int, str]:
    table = {0xA0: "\u00a0"}
    for offset, char in enumerate("ĂÂÊÔƠƯĐăâêôơưđ"):
        table[0xA1 + offset] = char
    for start, base, last in _TCVN3_GROUPS:
        chars = _toned(base)
        code = start
        for placed, char in enumerate(chars):
            if placed == 4 and last is not None:
                code = last
            while code in _TCVN3_SKIPS:
                code += 1
            table[code] = char
            code += 1
    return table


TCVN3_DECODE = _tcvn3_table()
TCVN3_ENCODE = {char: bytes([code]) for code, char in TCVN3_DECODE.items()}

# VNI: mark byte (as the cp1252 character a font shows) per (modifier, tone) of a vowel.
# Lower-case marks; the upper-case mark is the same letter upper-cased.
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
# Circumflex vowels (â ê ô) carry the tone in one combined mark byte.
_VNI_CIRCUMFLEX = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã",
                   "\u0323": "ä"}
# Breve (ă) likewise.
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü",
              "\u0323": "ë"}
# Vowels with a single-byte form of their own.
_VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó",
               "ị": "ò", "ỵ": "î"}


def _vni_table() -> dict[str, str]:
    """Unicode letter (NFC) → its VNI form as cp1252 characters."""
    table: dict[str, str] = {}
    for lower in "aeiouyăâêôơư":
        for tone in ["", *_TONES]:
            char = unicodedata.normalize("NFC", lower + tone)
            if char in _VNI_SINGLE:
                table[char] = _VNI_SINGLE[char]
                continue
            if lower in "ăâêô":
                base = {"ă": "a", "â": "a", "ê": "e", "ô": "o"}[lower]
                marks = _VNI_BREVE if lower == "ă" else _VNI_CIRCUMFLEX
                table[char] = base + marks[tone]
            elif lower in "ơư":
                table[char] = _VNI_SINGLE[lower] + (_VNI_TONE[tone] if tone else "")
            elif tone:
                table[char] = lower + _VNI_TONE[tone]
    table["đ"] = _VNI_SINGLE["đ"]
    for char, form in list(table.items()):
        upper = char.upper()
        if upper != char:
            table[upper] = form.upper()
    return table


VNI_ENCODE = _vni_table()
_VNI_DECODE = {form: char for char, form in VNI_ENCODE.items()}
# Longest forms first, so "aù" wins over a lone "ù".
_VNI_PATTERN = re.compile("|".join(re.escape(f) for f in sorted(_VNI_DECODE, key=len,
                                                                    reverse=True)))


# --- decoding -------------------------------------------------------------------------------

def tcvn3_decode(data: bytes) -> str:
    return "".join(TCVN3_DECODE.get(b, chr(b)) for b in data) if data else ""


_TCVN3_BYTES_TABLE = {code: char for code, char in TCVN3_DECODE.items()}


def tcvn3_repair(text: str) -> str:
    """TCVN3 text that was read as cp1252/Latin-1 characters → Unicode."""
    return text.translate({ord(_cp(code)): char for code, char in _TCVN3_BYTES_TABLE.items()})


def _cp(code: int) -> str:
    return bytes([code]).decode("latin-1")


def vni_repair(text: str) -> str:
    """VNI text that was read as cp1252 characters → Unicode."""
    return _VNI_PATTERN.sub(lambda m: _VNI_DECODE[m.group(0)], text)


def vni_decode(data: bytes) -> str:
    return vni_repair(data.decode("cp1252", errors="replace"))


def encode_tcvn3(text: str) -> bytes:
    """Unicode → TCVN3 bytes (for tests and fixtures). Tone-marked capitals are lowered."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        if ord(char) < 0x80:
            out += char.encode()
        elif char in TCVN3_ENCODE:
            out += TCVN3_ENCODE[char]
        elif char.lower() in TCVN3_ENCODE:
            out += TCVN3_ENCODE[char.lower()]
        else:
            raise ValueError(f"{char!r} has no TCVN3 code")
    return bytes(out)


def encode_cp1258(text: str) -> bytes:
    """Unicode → Windows-1258 bytes, tone marks as combining characters (as Windows does)."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out += (base + tones).encode("cp1258")
    return bytes(out)


def encode_vni(text: str) -> bytes:
    """Unicode → VNI bytes (for tests and fixtures)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(VNI_ENCODE.get(char, char) for char in text).encode("cp1252")


# --- detection ------------------------------------------------------------------------------

_VOWELS = "aeiouyăâêôơư"
VIETNAMESE_LETTERS = frozenset(
    unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in ["", *_TONES]
) | {"đ"}
VIETNAMESE_LETTERS = VIETNAMESE_LETTERS | {c.upper() for c in VIETNAMESE_LETTERS}
_TYPOGRAPHY = set("\u00a0–—“”‘’…°«»·×₫€©®§±²³½¼¾•")
_WORD = re.compile(r"\w+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def plausibility(text: str) -> int:
    """How Vietnamese `text` looks: + for well-formed accented words, − for odd characters
    and for words with two tone marks (what a wrong decoding produces)."""
    score = 0
    for word, count in Counter(_WORD.findall(text)).items():
        if not word.isascii():
            score += count * _word_score(word)
    odd = Counter(_NON_ASCII.findall(text))
    score -= 3 * sum(n for ch, n in odd.items() if not ch.isalnum() and ch not in _TYPOGRAPHY
                     and not ch.isspace())
    return score


def _word_score(word: str) -> int:
    odd = sum(1 for ch in word if not ch.isascii() and ch not in VIETNAMESE_LETTERS)
    tones = sum(1 for ch in unicodedata.normalize("NFD", word) if ch in _TONES)
    return -3 * odd - (2 if tones > 1 else 0) + (1 if not odd and tones <= 1 else 0)


def _decode_as(encoding: str, data: bytes) -> str | None:
    try:
        if encoding == "utf-8":
            text = codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        elif encoding == "tcvn3":
            text = tcvn3_decode(data)
        elif encoding == "vni":
            text = vni_decode(data)
        else:
            text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return unicodedata.normalize("NFC", text)


def detect_bytes(sample: bytes) -> str:
    """Encoding of a file from its first bytes: utf-8-sig, utf-8, cp1258, tcvn3 or vni.

    UTF-8 that decodes is taken as UTF-8 unless its text is TCVN3/VNI read as cp1252 (what
    Excel makes of legacy-font sheets): then "utf-8+tcvn3" / "utf-8+vni".
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig" + _repair_suffix(_decode_as("utf-8", sample[3:]) or "")
    text = _decode_as("utf-8", sample)
    if text is not None:
        return "utf-8" + _repair_suffix(text)
    scores = {}
    for encoding in ("cp1258", "tcvn3", "vni"):
        decoded = _decode_as(encoding, sample)
        if decoded is not None:
            scores[encoding] = plausibility(decoded)
    return max(scores, key=lambda e: (scores[e], e == "cp1258")) if scores else "cp1258"


def _repair_suffix(text: str) -> str:
    repair = detect_text_repair(text)
    return f"+{repair}" if repair else ""


def detect_text_repair(text: str) -> str | None:
    """"tcvn3" or "vni" when `text` is legacy-font text shown as cp1252, else None."""
    if text.isascii():
        return None
    current = plausibility(text)
    best, best_score = None, current
    for name, repair in (("tcvn3", tcvn3_repair), ("vni", vni_repair)):
        score = plausibility(unicodedata.normalize("NFC", repair(text)))
        if score > best_score:
            best, best_score = name, score
    return best


def repair_text(text: str, repair: str | None) -> str:
    if repair == "tcvn3":
        text = tcvn3_repair(text)
    elif repair == "vni":
        text = vni_repair(text)
    return unicodedata.normalize("NFC", text)


class StreamDecoder:
    """Decodes successive byte chunks of one encoding (as `detect_bytes` names it) to NFC.

    Chunks are cut after their last newline by the caller's reader, so no VNI pair or
    cp1258 combining mark is split across chunks.
    """

    def __init__(self, encoding: str):
        base, _, self.repair = encoding.partition("+")
        self.base = base
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self.normalised = False  # set once a chunk needed NFC normalisation

    def decode(self, data: bytes, final: bool = False) -> str:
        if self.base in ("utf-8", "utf-8-sig"):
            text = self._utf8.decode(data, final=final)
        elif self.base == "tcvn3":
            text = data.decode("latin-1").translate(_TCVN3_LATIN)
        elif self.base == "vni":
            text = vni_repair(data.decode("cp1252", errors="replace"))
        else:
            text = data.decode(self.base, errors="replace")
        if self.repair:
            text = repair_text(text, self.repair)
        if not unicodedata.is_normalized("NFC", text):
            self.normalised = True
            text = unicodedata.normalize("NFC", text)
        return text


_TCVN3_LATIN = {code: char for code, char in TCVN3_DECODE.items()}
