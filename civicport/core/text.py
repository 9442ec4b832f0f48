"""Vietnamese text handling: one fold for search, one slugify, one tokeniser.

Folding is what makes `banh da cua` find `Bánh đa cua` and `DAI HOP` find `Đại Hợp`:
NFC, lower case, combining marks stripped, and `đ` (which has no decomposition) → `d`.
"""

import re
import unicodedata

_WORD = re.compile(r"[0-9a-z]+")
_NON_SLUG = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case, mark-free, `đ`-free form of `text`, for comparing and indexing."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "d")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def words(text: str) -> list[str]:
    """Folded words of `text`, in order, duplicates kept."""
    return _WORD.findall(fold(text))


def slugify(text: str, max_length: int = 80) -> str:
    """ASCII slug: `Phường Hồng Bàng` → `phuong-hong-bang`."""
    slug = _NON_SLUG.sub("-", fold(text)).strip("-")
    return slug[:max_length].rstrip("-")


def identifier(text: str, max_length: int = 63) -> str:
    """ASCII identifier for a label: `Số hồ sơ` → `so_ho_so` (column ids, codenames)."""
    ident = _NON_SLUG.sub("_", fold(text)).strip("_") or "col"
    if ident[0].isdigit():
        ident = f"c_{ident}"
    return ident[:max_length].rstrip("_")
