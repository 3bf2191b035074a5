"""Chinese names for the demo register: Faker zh_CN's lists and weights, sampled with numpy.

Surnames keep Faker's national weights, with the Jiangnan surnames common in Jiaxing boosted
for locally born persons. Given names are Faker's lists (weighted by rank) or two
single-character names of the same sex joined ("伟" + "杰" → "伟杰").

Pinyin is computed once per distinct surname and given name and concatenated. That equals
`minzheng.common.pinyin` on the whole name unless the surname and the given name's first
character start a phrase of pypinyin's dictionary; those pairs are found once and their
names spelt whole, so every row gets exactly what `person_create` would store.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker.providers.person.zh_CN import Provider as ChineseNames
from pypinyin.seg import mmseg

from minzheng.common.pinyin import name_initials, name_pinyin

# Multipliers on Faker's national surname weights for persons born in Jiaxing.
JIAXING_SURNAME_BOOST = {
    "沈": 8.0,
    "褚": 8.0,
    "屠": 8.0,
    "钱": 6.0,
    "费": 6.0,
    "顾": 5.0,
    "俞": 5.0,
    "陆": 4.0,
    "凌": 4.0,
    "金": 3.0,
    "姚": 3.0,
    "朱": 1.8,
    "徐": 1.6,
    "吴": 1.5,
    "范": 1.5,
    "戴": 1.5,
    "陈": 1.3,
    "刘": 0.6,
    "赵": 0.7,
    "马": 0.5,
    "郭": 0.6,
    "韩": 0.5,
    "崔": 0.4,
}
COMPOUND_SHARE = 0.4  # share of given names made of two single-character names
RANK_EXPONENT = 0.9  # Zipf-like weight of a given name by its rank in Faker's list


def _rank_weights(count: int) -> np.ndarray:
    """Weights falling with rank (Faker's lists run from the most common name)."""
    return 1.0 / np.power(np.arange(count) + 2.0, RANK_EXPONENT)


def _given_names(listed: list[str]) -> tuple[list[str], np.ndarray]:
    """Listed names plus compounds of two distinct single-character names, with probabilities."""
    listed_weights = _rank_weights(len(listed))
    singles = [(name, weight) for name, weight in zip(listed, listed_weights, strict=True)]
    singles = [(name, weight) for name, weight in singles if len(name) == 1]
    compounds = [(a + b, wa * wb) for a, wa in singles for b, wb in singles if a != b]
    names = list(listed) + [name for name, _ in compounds]
    listed_p = listed_weights / listed_weights.sum() * (1 - COMPOUND_SHARE)
    compound_weights = np.array([weight for _, weight in compounds])
    compound_p = compound_weights / compound_weights.sum() * COMPOUND_SHARE
    probabilities = np.concatenate([listed_p, compound_p])
    return names, probabilities / probabilities.sum()


def _phrase_starts(surnames: list[str], given: list[str]) -> np.ndarray:
    """Boolean [surname, given name]: surname + first character begins a dictionary phrase."""
    prefixes = getattr(mmseg.seg, "_prefix_set", None)
    if prefixes is None:  # unknown pypinyin internals: spell every name whole
        return np.ones((len(surnames), len(given)), dtype=bool)
    firsts = sorted({name[0] for name in given})
    first_index = {char: i for i, char in enumerate(firsts)}
    by_first = np.array(
        [[(surname + char) in prefixes for char in firsts] for surname in surnames], dtype=bool
    )
    return by_first[:, [first_index[name[0]] for name in given]]


@dataclass(frozen=True)
class NameVocabulary:
    """Every surname and given name the generator uses, with sampling weights and pinyin."""

    surnames: list[str]
    surname_p_national: np.ndarray
    surname_p_local: np.ndarray
    given: list[str]  # male names first, then female names
    male_count: int
    male_p: np.ndarray
    female_p: np.ndarray
    surname_pinyin: list[str]
    surname_initials: list[str]
    given_pinyin: list[str]
    given_initials: list[str]
    whole_spelling: np.ndarray  # [surname, given]: spell the full name instead of concatenating

    def sample_surnames(self, rng: np.random.Generator, local: np.ndarray) -> np.ndarray:
        """Surname indexes; `local` (bool per person) picks the Jiaxing weights."""
        national = rng.choice(len(self.surnames), size=len(local), p=self.surname_p_national)
        jiaxing = rng.choice(len(self.surnames), size=len(local), p=self.surname_p_local)
        return np.where(local, jiaxing, national).astype(np.int32)

    def sample_given(self, rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
        """Given-name indexes into `given`, by sex (`male` is a bool array)."""
        female_count = len(self.given) - self.male_count
        males = rng.choice(self.male_count, size=len(male), p=self.male_p)
        females = rng.choice(female_count, size=len(male), p=self.female_p) + self.male_count
        return np.where(male, males, females).astype(np.int32)

    def full_names(self, surname: np.ndarray, given: np.ndarray) -> list[str]:
        """Names as written: surname followed by given name."""
        surnames, givens = self.surnames, self.given
        return [
            surnames[s] + givens[g] for s, g in zip(surname.tolist(), given.tolist(), strict=True)
        ]

    def spellings(self, surname: np.ndarray, given: np.ndarray) -> tuple[list[str], list[str]]:
        """(name_pinyin, name_initials) per person, exactly as minzheng.common.pinyin gives."""
        sp, si, gp, gi = (
            self.surname_pinyin,
            self.surname_initials,
            self.given_pinyin,
            self.given_initials,
        )
        s_list, g_list = surname.tolist(), given.tolist()
        pinyin = [sp[s] + gp[g] for s, g in zip(s_list, g_list, strict=True)]
        initials = [si[s] + gi[g] for s, g in zip(s_list, g_list, strict=True)]
        for i in np.flatnonzero(self.whole_spelling[surname, given]).tolist():
            name = self.surnames[s_list[i]] + self.given[g_list[i]]
            pinyin[i], initials[i] = name_pinyin(name), name_initials(name)
        return pinyin, initials


@lru_cache(maxsize=1)
def vocabulary() -> NameVocabulary:
    """The vocabulary, built once per process (about a second)."""
    surnames = list(ChineseNames.last_names)
    national = np.array([ChineseNames.last_names[s] for s in surnames], dtype=float)
    local = national * np.array([JIAXING_SURNAME_BOOST.get(s, 1.0) for s in surnames])
    male, male_p = _given_names(ChineseNames.first_names_male)
    female, female_p = _given_names(ChineseNames.first_names_female)
    given = male + female
    return NameVocabulary(
        surnames=surnames,
        surname_p_national=national / national.sum(),
        surname_p_local=local / local.sum(),
        given=given,
        male_count=len(male),
        male_p=male_p,
        female_p=female_p,
        surname_pinyin=[name_pinyin(s) for s in surnames],
        surname_initials=[name_initials(s) for s in surnames],
        given_pinyin=[name_pinyin(g) for g in given],
        given_initials=[name_initials(g) for g in given],
        whole_spelling=_phrase_starts(surnames, given),
    )
