"""What people type, turned into what the catalogue says: synonyms, pinyin and near misses.

- **Synonyms** (SearchSynonym, edited in the admin, cached): a query holding 环评 is also searched as
  建设项目环境影响评价 … (the term replaced by each meaning), 社保卡 as 社会保障卡.
- **Pinyin**: a word of Latin letters is also looked for in the pinyin of item names, as initials
  (sgxk) or spelled out (shigongxuke). The keys are made once per published version
  (GuideSearchKey) with pypinyin, which reads 银行 as yinhang and 重庆 as chongqing.
- **Near misses**: when nothing holds the words, names are scored by the two-character pieces they
  share with the query, in characters (施工许可证办理 → 施工许可证核发) and in sounds, since most typos
  of a pinyin keyboard are homophones (社会保章卡 → 社会保障卡申领).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from functools import lru_cache, reduce

from django.core.cache import cache
from django.db.models import Case, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shenpi.catalog.models import ItemVersion

from .models import GuideSearchKey, SearchSynonym

MAX_VARIANTS = 12  # the query itself and at most eleven rewritings of it
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
PINYIN_WORD = re.compile(r"^[A-Za-z]{2,}$")
PINYIN_LIMIT = 2000  # versions a pinyin word may name (xk: every 许可); more are not looked at
# A near miss must share this much of the query's pieces (characters or sounds) with a name.
NEAR_SHARE = 0.5
NEAR_LIMIT = 20
# A name that shares sounds but not characters is a little less likely to be what was meant.
SOUND_WEIGHT = 0.9


# -- synonyms -----------------------------------------------------------------------------------

DICTIONARY_CACHE = "portal:search-synonyms"
DICTIONARY_SECONDS = 60  # another server process sees an administrator's change within a minute


def dictionary() -> list[tuple[str, list[str]]]:
    """The enabled entries, longer terms first (社保卡 before 社保), from the cache when it has them.

    A change in the admin clears the cache (signals below), so this process and any sharing the
    cache see it at once; processes with their own cache see it when their copy expires.
    """
    entries = cache.get(DICTIONARY_CACHE)
    if entries is None:
        rows = SearchSynonym.objects.filter(enabled=True).values_list("term", "meanings")
        entries = sorted(((term, SearchSynonym(meanings=meanings).meaning_list()) for term, meanings in rows),
                         key=lambda entry: (-len(entry[0]), entry[0]))
        cache.set(DICTIONARY_CACHE, entries, DICTIONARY_SECONDS)
    return entries


@receiver([post_save, post_delete], sender=SearchSynonym)
def _dictionary_changed(**kwargs) -> None:
    cache.delete(DICTIONARY_CACHE)


def variants(query: str) -> list[str]:
    """The query, then the query with each dictionary term it holds replaced by each meaning."""
    query = query.strip()
    result = [query]
    if not query:
        return result
    folded = query.lower()
    for term, meanings in dictionary():
        if term.lower() not in folded:
            continue
        pattern = re.compile(re.escape(term), re.IGNORECASE)
        for meaning in meanings:
            rewritten = " ".join(pattern.sub(lambda _match, m=meaning: f" {m} ", query).split())
            if rewritten and rewritten not in result:
                result.append(rewritten)
            if len(result) >= MAX_VARIANTS:
                return result
    return result


# -- pinyin ---------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin of the Chinese in a text, other words lower-cased: 建筑工程 → jian zhu gong cheng."""
    from pypinyin import lazy_pinyin  # its dictionaries take a fifth of a second to load: only when needed

    result: list[str] = []
    for word in lazy_pinyin(text, errors=lambda chars: chars.lower()):
        result.extend(part for part in re.split(r"[^0-9a-z]+", word.lower()) if part)
    return tuple(result)


def key_of(version_name: str) -> dict:
    sounds = syllables(version_name)
    return {"name": version_name, "syllables": " ".join(sounds),
            "initials": "".join(s[0] for s in sounds), "spelling": "".join(sounds)}


def refresh_keys() -> int:
    """Make the pinyin keys of published versions that have none or one of another name.

    One query when all keys are there (the usual case); versions are published rarely.
    """
    stale = list(ItemVersion.objects.published()
                 .filter(Q(search_key__isnull=True) | ~Q(search_key__name=F("name")))
                 .values_list("pk", "name"))
    if not stale:
        return 0
    GuideSearchKey.objects.filter(version_id__in=[pk for pk, _ in stale]).delete()
    GuideSearchKey.objects.bulk_create([GuideSearchKey(version_id=pk, **key_of(name)) for pk, name in stale],
                                       ignore_conflicts=True)  # another request may be making them too
    return len(stale)


_complete_at: tuple | None = None  # the catalogue's stamp when this process last found every key made


def forget_keys() -> None:
    """Look again at the next search (for tests that remove keys behind the search's back)."""
    global _complete_at
    _complete_at = None


def ensure_keys() -> None:
    """Make the missing pinyin keys, if any.

    A published version gets its key by the first search after publication: the catalogue's
    stamp (published versions, the latest publication) is read on every search, and only when it
    changed are versions and keys counted together (a join over the catalogue).
    """
    global _complete_at
    stamp = tuple(ItemVersion.objects.published().aggregate(n=Count("pk"), last=Max("published_at"),
                                                             top=Max("pk")).values())
    if stamp == _complete_at:
        return
    counts = ItemVersion.objects.published().aggregate(versions=Count("pk"), keyed=Count("search_key"))
    if counts["versions"] != counts["keyed"]:
        refresh_keys()
    _complete_at = stamp


def spoken_as(word: str) -> list[int]:
    """Ids of the versions whose names, in pinyin, hold the word as initials or spelled out
    (published or not: the caller's query keeps the published ones)."""
    word = word.lower()
    return list(GuideSearchKey.objects.filter(Q(initials__contains=word) | Q(spelling__contains=word))
                .values_list("version_id", flat=True)[:PINYIN_LIMIT])


# -- near misses ------------------------------------------------------------------------------------

def pieces(text: str) -> set[str]:
    """The two-character pieces of the Chinese runs of a text: 施工许可 → 施工, 工许, 许可."""
    found = set()
    for run in _CJK_RUN.findall(text):
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    return found


def sound_pieces(sounds: tuple[str, ...] | list[str]) -> set[tuple[str, str]]:
    return {(sounds[i], sounds[i + 1]) for i in range(len(sounds) - 1)}


@dataclass(frozen=True)
class Wanted:
    """A query variant as the near-miss scoring reads it."""

    pieces: frozenset[str]
    sounds: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, text: str) -> Wanted:
        chinese = "".join(_CJK_RUN.findall(text))
        return cls(frozenset(pieces(text)), frozenset(sound_pieces(syllables(chinese)) if chinese else ()))

    def usable(self) -> bool:
        return len(self.pieces) >= 2 or len(self.sounds) >= 2

    def score(self, name: str, name_sounds: tuple[str, ...]) -> float:
        share = len(self.pieces & pieces(name)) / len(self.pieces) if self.pieces else 0.0
        if self.sounds:
            share = max(share, SOUND_WEIGHT * len(self.sounds & sound_pieces(name_sounds)) / len(self.sounds))
        return share


def _count(conditions: list[Q]):
    """How many of the conditions a row meets, as one SQL expression."""
    return reduce(operator.add, (Case(When(c, then=Value(1)), default=Value(0)) for c in conditions))


def _at_least(counts: dict, name: str, conditions: list[Q], share: float) -> Q:
    """Rows meeting at least `share` of the conditions, counted by the database as `name`."""
    counts[name] = _count(conditions)
    return Q(**{f"{name}__gte": math.ceil(share * len(conditions) - 1e-9)})


def _by_characters(versions: QuerySet[ItemVersion], wanted: list[Wanted]) -> dict[int, str]:
    """Published names holding enough of a query's two-character pieces: {id: name}."""
    counts, condition = {}, Q()
    for index, want in enumerate(wanted):
        if want.pieces:
            condition |= _at_least(counts, f"near_c{index}", [Q(name__contains=p) for p in sorted(want.pieces)],
                                   NEAR_SHARE)
    if not counts:
        return {}
    return dict(versions.order_by().annotate(**counts).filter(condition).values_list("pk", "name"))


def _by_sounds(wanted: list[Wanted]) -> list[int]:
    """Versions whose names hold enough of a query's syllable pairs, read from the key table alone
    (a pair is looked for as a substring, so it may count a little too many: the exact score follows)."""
    counts, condition = {}, Q()
    for index, want in enumerate(wanted):
        if want.sounds:
            condition |= _at_least(counts, f"near_s{index}",
                                   [Q(syllables__contains=f"{a} {b}") for a, b in sorted(want.sounds)],
                                   NEAR_SHARE / SOUND_WEIGHT)
    if not counts:
        return []
    ensure_keys()
    return list(GuideSearchKey.objects.annotate(**counts).filter(condition)
                .values_list("version_id", flat=True)[:PINYIN_LIMIT])


def nearest(versions: QuerySet[ItemVersion], queries: list[str]) -> list[int]:
    """Ids of the versions whose names come nearest any of the queries, best first.

    The database keeps the names holding enough of a query's pieces, in characters (one scan of
    the published names) or in sounds (one scan of the pinyin keys); the few rows left are scored
    exactly here.
    """
    wanted = [w for w in (Wanted.of(q) for q in queries) if w.usable()]
    if not wanted:
        return []
    names = _by_characters(versions, wanted)
    heard = [pk for pk in _by_sounds(wanted) if pk not in names]
    if heard:
        names.update(versions.order_by().filter(pk__in=heard).values_list("pk", "name"))
    sounds = dict(GuideSearchKey.objects.filter(version_id__in=list(names)).values_list("version_id", "syllables"))
    scored = []
    for pk, name in names.items():
        name_sounds = tuple(sounds[pk].split()) if pk in sounds else syllables(name)
        best = max(w.score(name, name_sounds) for w in wanted)
        if best >= NEAR_SHARE:
            scored.append((-best, len(name), pk))
    return [pk for _, _, pk in sorted(scored)[:NEAR_LIMIT]]
