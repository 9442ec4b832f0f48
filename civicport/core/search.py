"""Diacritics-insensitive word-prefix search through an indexed path on any database.

Modules index each searchable object as folded words in SearchEntry under a scope name
(e.g. "publicservices.procedure"). A query matches objects having, for every query word,
an indexed word that starts with it: `banh da cua` finds `Bánh đa cua`, `dai hop` finds
`Đại Hợp`. Each word is a range scan on the (scope, word) index, so a million rows are
never scanned — unlike LIKE '%…%' on SQLite or PostgreSQL without extensions.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from civicport.core.models import SearchEntry
from civicport.core.text import words

MAX_WORD = 64
MAX_QUERY_WORDS = 8
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _prefix_upper_bound(prefix: str) -> str | None:
    """Smallest word greater than every word starting with `prefix` ('hop' → 'hoq').

    Only letters and digits are involved, so the bound holds under the C collation and
    under language collations (en_US, vi_VN) alike — a punctuation sentinel such as
    'hop{' would not, since those collations ignore punctuation. None: no upper bound.
    """
    stem = prefix.rstrip("z")
    if not stem:
        return None
    return stem[:-1] + _ALPHABET[_ALPHABET.index(stem[-1]) + 1]


def index_words(*texts: str) -> set[str]:
    return {w[:MAX_WORD] for text in texts if text for w in words(text)}


def search_index(scope: str, object_id: int, *texts: str) -> None:
    """(Re)index one object: replaces whatever was indexed for it before."""
    with transaction.atomic():
        SearchEntry.objects.filter(scope=scope, object_id=object_id).delete()
        SearchEntry.objects.bulk_create(
            SearchEntry(scope=scope, object_id=object_id, word=w) for w in index_words(*texts)
        )


def search_reindex(scope: str, items: Iterable[tuple[int, Iterable[str]]], batch=5000) -> int:
    """Rebuild a whole scope from (object_id, texts) pairs, in batches. Returns rows written."""
    written = 0
    with transaction.atomic():
        SearchEntry.objects.filter(scope=scope).delete()
        buffer: list[SearchEntry] = []
        for object_id, texts in items:
            buffer.extend(
                SearchEntry(scope=scope, object_id=object_id, word=w)
                for w in index_words(*texts)
            )
            if len(buffer) >= batch:
                SearchEntry.objects.bulk_create(buffer)
                written += len(buffer)
                buffer = []
        SearchEntry.objects.bulk_create(buffer)
        written += len(buffer)
    return written


def search_unindex(scope: str, object_id: int) -> None:
    SearchEntry.objects.filter(scope=scope, object_id=object_id).delete()


def query_words(query: str) -> list[str]:
    unique = list(dict.fromkeys(w[:MAX_WORD] for w in words(query or "")))
    # Longest words first: they are the most selective ranges.
    return sorted(unique, key=len, reverse=True)[:MAX_QUERY_WORDS]


def search_filter(queryset: QuerySet, scope: str, query: str) -> QuerySet:
    """Keep the rows of `queryset` matching every word of `query` (no words: unchanged)."""
    for word in query_words(query):
        queryset = queryset.filter(pk__in=word_matches(scope, word).values("object_id"))
    return queryset


def word_matches(scope: str, prefix: str) -> QuerySet:
    """Index rows of `scope` whose word starts with `prefix`: one range on the index."""
    rows = SearchEntry.objects.filter(scope=scope, word__gte=prefix)
    upper = _prefix_upper_bound(prefix)
    return rows.filter(word__lt=upper) if upper else rows
