"""Pinyin for search (full spelling and initials), via pypinyin."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> str:
    """ "张伟" → "zhangwei" (lower case, no tones, no spaces)."""
    return "".join(lazy_pinyin(name, errors="ignore")).lower()


@lru_cache(maxsize=65536)
def name_initials(name: str) -> str:
    """ "张伟" → "zw"."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
