"""办事指南: the published catalogue as the public reads it — browse, search, one item, one department.

Only published versions are public; an item whose versions are all drafts or retired is not shown.
Search is a case-insensitive substring match over the published versions' texts: Chinese needs no
word splitting for it (施工许可 is inside 建筑工程施工许可证核发), and a few thousand items are
scanned in a few milliseconds on SQLite and PostgreSQL alike (docs/portal.md has the figures).
The query is also searched as the synonym dictionary rewrites it (环评 → 环境影响评价), a word of
Latin letters also in the names' pinyin (sgxk), and when nothing holds the words the nearest names
are offered, near in characters or in sound (shenpi.portal.searchwords).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from shenpi import clock
from shenpi.accounts.models import Role, User
from shenpi.catalog.hours import WindowHours, window_hours
from shenpi.catalog.models import Department, FlowStep, Item, ItemProcedure, ItemVersion, MaterialSpec, Window
from shenpi.workdays.services import get_calendar

from . import searchwords

Audience = ItemVersion.Audience

# 个人办事 / 法人办事: an item for both kinds of applicant belongs to both themes.
THEMES = {
    "person": ("个人办事", (Audience.PERSON, Audience.BOTH)),
    "organisation": ("法人办事", (Audience.ORGANISATION, Audience.BOTH)),
}
MAX_TERMS = 5
MAX_TERM_LENGTH = 50
# Words split on blanks and on ASCII and full-width punctuation.
_SPLIT = re.compile(r"[\s,，。.、;；:：!！?？'\"“”‘’()（）《》<>【】\[\]/\\|+]+")
_LATIN = re.compile(r"[A-Za-z]")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# What the search looks in, as one expression; migration 0001 indexes exactly this on PostgreSQL.
SEARCH_TEXT = ("(catalog_itemversion.name || ' ' || catalog_itemversion.result_name || ' ' || "
               "catalog_itemversion.conditions || ' ' || catalog_itemversion.legal_basis)")
SEARCH_COLUMNS = ("name", "result_name", "conditions", "legal_basis")
TRIGRAM = 3  # characters a LIKE pattern needs before pg_trgm can look it up
CATALOGUE_ORDER = ("item__department__sort", "item__department__code", "item__code")


def published() -> QuerySet[ItemVersion]:
    return (ItemVersion.objects.published()
            .select_related("item", "item__department")
            .order_by(*CATALOGUE_ORDER))


@dataclass
class Filters:
    """What the guide list is narrowed to; unknown values are dropped, not errors."""

    query: str = ""
    theme: str = ""
    department: Department | None = None
    type: str = ""

    @classmethod
    def from_params(cls, params) -> Filters:
        theme = params.get("theme", "")
        kind = params.get("type", "")
        code = params.get("department", "").strip()
        department = Department.objects.filter(code=code).first() if code else None
        return cls(query=params.get("q", "").strip()[:200], theme=theme if theme in THEMES else "",
                   department=department, type=kind if kind in ItemVersion.Type.values else "")

    def apply(self, versions: QuerySet[ItemVersion], *, with_department: bool = True) -> QuerySet[ItemVersion]:
        if self.theme:
            versions = versions.filter(audience__in=THEMES[self.theme][1])
        if self.type:
            versions = versions.filter(type=self.type)
        if with_department and self.department is not None:
            versions = versions.filter(item__department__in=self.department.subtree_ids())
        return versions


def terms_of(query: str) -> list[str]:
    return [t[:MAX_TERM_LENGTH] for t in _SPLIT.split(query) if t][:MAX_TERMS]


def _escaped(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _in_text(term: str) -> RawSQL:
    """The search text holds the term: LIKE over one expression, which pg_trgm can index.

    Chinese has no letter case, so only a term with Latin letters is compared case-insensitively:
    ILIKE on PostgreSQL, which the trigram index serves as well (pinyin such as sgxk, codes,
    abbreviations), and SQLite's LIKE, which ignores the case of ASCII letters anyway.
    A term the trigram index cannot serve (under three characters, or any term without the
    index) is looked for in each column instead: the same rows, since a term holds no blank,
    and a scan that does not build the joined text of every version first.
    """
    postgresql = connection.vendor == "postgresql"
    if _LATIN.search(term) and postgresql:
        sql, columns = f"{SEARCH_TEXT} ILIKE %s ESCAPE '\\'", 1
    elif len(term) >= TRIGRAM and postgresql:
        sql, columns = f"{SEARCH_TEXT} LIKE %s ESCAPE '\\'", 1
    else:
        sql = "(" + " OR ".join(f"catalog_itemversion.{column} LIKE %s ESCAPE '\\'"
                                for column in SEARCH_COLUMNS) + ")"
        columns = len(SEARCH_COLUMNS)
    # The term is a bound parameter; only fixed column names are written into the SQL.
    return RawSQL(sql, (_escaped(term),) * columns, output_field=BooleanField())  # noqa: S611


def _contains(field_name: str, term: str) -> Q:
    """The field holds the term, ignoring letter case only when the term has any: UPPER() over
    every matching row's multibyte text is most of a ranking's cost, and changes nothing for 施工许可."""
    lookup = "icontains" if term.upper() != term.lower() else "contains"
    return Q(**{f"{field_name}__{lookup}": term})


def _all_in(field_name: str, terms: list[str]) -> Q:
    condition = Q()
    for term in terms:
        condition &= _contains(field_name, term)
    return condition


def _word_found(term: str, spoken: list[int]) -> Q:
    """The version holds the word in its texts; a word of Latin letters may also be the item's code
    or the pinyin of its name (sgxk, shigongxuke: `spoken`, the ids of the versions so named)."""
    found = Q(_in_text(term))
    if _CODE.match(term):
        # Looked up on its own, like pinyin: an ORed join to the items would cost the text its index.
        coded = list(ItemVersion.objects.filter(item__code__iexact=term).values_list("pk", flat=True))
        if coded:
            found |= Q(pk__in=coded)
    if spoken:
        found |= Q(pk__in=spoken)
    return found


def _name_holds(term: str, spoken: list[int]) -> Q:
    held = _contains("name", term)
    if spoken:
        held |= Q(pk__in=spoken)  # the name in pinyin counts as the name
    return held


def matching(versions: QuerySet[ItemVersion], *queries: str) -> QuerySet[ItemVersion]:
    """Versions holding every word of any of the queries somewhere, in one scan, best first.

    The rank is the best any query gives: its whole phrase in the name (0), all its words in the name
    (1), in the result (2), elsewhere (3); at equal rank the first query that matches decides (the
    typed query before the dictionary's rewritings), then the catalogue's order.
    """
    word_lists = [terms for terms in (terms_of(query) for query in queries) if terms]
    if not word_lists:
        return versions
    found, phrase, by_name, by_result, source = Q(), Q(), Q(), Q(), []
    for index, terms in enumerate(word_lists):
        this = Q()
        named, resulted = Q(), Q()
        for term in terms:
            # Pinyin is looked up first, in its own small table: a join ORed into the text match
            # would keep PostgreSQL from answering the text from the trigram index.
            spoken = searchwords.spoken_as(term) if searchwords.PINYIN_WORD.match(term) else []
            this &= _word_found(term, spoken)
            named &= _name_holds(term, spoken)
            resulted &= _contains("result_name", term)
        found |= this
        phrase |= _contains("name", "".join(terms))
        by_name |= named
        by_result |= resulted
        source.append(When(this, then=Value(index)))
    rank = Case(When(phrase, then=Value(0)), When(by_name, then=Value(1)), When(by_result, then=Value(2)),
                default=Value(3), output_field=IntegerField())
    order = ["rank"]
    annotations = {"rank": rank}
    if len(word_lists) > 1:
        annotations["source"] = Case(*source, default=Value(len(word_lists)), output_field=IntegerField())
        order.append("source")
    return versions.filter(found).annotate(**annotations).order_by(*order, *CATALOGUE_ORDER)


def _ranked(versions: QuerySet[ItemVersion], queries: list[str]) -> list[int]:
    if any(searchwords.PINYIN_WORD.match(term) for query in queries for term in terms_of(query)):
        searchwords.ensure_keys()
    return list(matching(versions, *queries).values_list("pk", flat=True))


@dataclass
class SearchResult:
    ids: list[int]  # every match, best first: one scan gives the count and any page
    similar: bool = False  # nothing contained the words: these are the nearest names
    rewritten: list[str] = field(default_factory=list)  # what the synonym dictionary also searched for


def search(filters: Filters) -> SearchResult:
    versions = filters.apply(published())
    if not filters.query:
        return SearchResult(list(versions.values_list("pk", flat=True)))
    queries = searchwords.variants(filters.query)
    ids = _ranked(versions, queries)
    if ids:
        return SearchResult(ids, rewritten=queries[1:])
    near = searchwords.nearest(filters.apply(published()), queries)
    return SearchResult(near, similar=bool(near), rewritten=queries[1:])


@dataclass
class GuideEntry:
    """One line of the guide list: the long texts (conditions, legal basis) stay in the database."""

    code: str
    name: str
    department: str
    type_label: str
    audience_label: str
    promised_limit: int
    max_visits: int
    free_of_charge: bool


_TYPE_LABELS = dict(ItemVersion.Type.choices)
_AUDIENCE_LABELS = dict(ItemVersion.Audience.choices)


def load(ids: list[int]) -> list[GuideEntry]:
    """The entries of one page of version ids, in that order."""
    rows = {row[0]: row[1:] for row in ItemVersion.objects.published().filter(pk__in=ids).values_list(
        "pk", "item__code", "name", "item__department__name", "type", "audience", "promised_limit",
        "max_visits", "free_of_charge")}
    entries = []
    for pk in ids:
        if pk in rows:
            code, name, department, kind, audience, promised, visits, free = rows[pk]
            entries.append(GuideEntry(code, name, department, _TYPE_LABELS.get(kind, kind),
                                      _AUDIENCE_LABELS.get(audience, audience), promised, visits, free))
    return entries


@dataclass
class Facets:
    """Counts of published items by theme and type, and by department under the theme and type."""

    themes: list[tuple[str, str, int]]
    types: list[tuple[str, str, int]]
    departments: list[Department]  # those with items under the filters' theme and type, with item_count


def facets(filters: Filters | None = None) -> Facets:
    by_audience: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for audience, type_, n in (ItemVersion.objects.published().order_by()
                               .values_list("audience", "type").annotate(n=Count("pk"))):
        by_audience[audience] = by_audience.get(audience, 0) + n
        by_type[type_] = by_type.get(type_, 0) + n
    # Departments count what the theme and type leave; one filter() call keeps one join for both.
    counted = ItemVersion.published_through("items__versions__")
    if filters is not None and filters.theme:
        counted &= Q(items__versions__audience__in=THEMES[filters.theme][1])
    if filters is not None and filters.type:
        counted &= Q(items__versions__type=filters.type)
    # Links and filters name a department by code and label: its other columns are not read.
    departments = list(Department.objects.filter(counted).annotate(item_count=Count("items__versions"))
                       .only("code", "name", "short_name").order_by("sort", "code"))
    return Facets(
        themes=[(key, label, sum(by_audience.get(a, 0) for a in audiences))
                for key, (label, audiences) in THEMES.items()],
        types=[(value, label, by_type[value]) for value, label in ItemVersion.Type.choices if by_type.get(value)],
        departments=departments)


# -- one item ----------------------------------------------------------------------------------

@dataclass
class Stage:
    seq: int
    steps: list[FlowStep] = field(default_factory=list)

    @property
    def parallel(self) -> bool:
        return len(self.steps) > 1


def current_version(code: str) -> ItemVersion | None:
    """The published version of the item with this code, with everything its page shows."""
    return (ItemVersion.objects.published().filter(item__code=code).order_by("-number")
            .select_related("item", "item__department")
            .prefetch_related(
                Prefetch("materials", queryset=MaterialSpec.objects.order_by("seq", "pk")),
                "fees",
                Prefetch("itemprocedure_set", queryset=ItemProcedure.objects.select_related("kind")
                         .order_by("kind__pk"), to_attr="procedures"),
                Prefetch("steps", queryset=FlowStep.objects.select_related("department").order_by("seq", "pk"),
                         to_attr="flow"))
            .first())


def stages(version: ItemVersion) -> list[Stage]:
    """The flow as the public reads it: steps with the same seq are one parallel stage (并联审批)."""
    result: list[Stage] = []
    for step in version.flow:
        step.where = step.department or version.item.department  # blank: the item's own department
        if not result or result[-1].seq != step.seq:
            result.append(Stage(step.seq))
        result[-1].steps.append(step)
    return result


def material_template(code: str, pk: int) -> MaterialSpec | None:
    """A form template of a published version's material list, if it has one."""
    spec = (MaterialSpec.objects.filter(ItemVersion.published_through("version__"), pk=pk, version__item__code=code)
            .exclude(template="").first())
    return spec


# -- one department ----------------------------------------------------------------------------

@dataclass
class DutyPerson:
    name: str
    roles: str
    window: str


def on_duty(department: Department) -> list[DutyPerson]:
    """Staff on duty: name, role and window — nothing personal beyond what a window's name plate shows."""
    people = (User.objects.filter(department=department, on_duty=True, is_active=True, roles__isnull=False)
              .distinct().select_related("window").prefetch_related("roles").order_by("window__number", "pk"))
    result = []
    for person in people:
        codes = {role.code for role in person.roles.all()} - Role.CENTRE_WIDE
        if not codes:
            continue
        roles = "、".join(name for code, name in Role.NAMES.items() if code in codes)
        window = f"{person.window.number} {person.window.name}" if person.window_id else ""
        result.append(DutyPerson(person.full_name or "工作人员", roles, window))
    return result


# Dated arrangements (延时服务, 加班服务, 暂停服务) shown this many days ahead.
HOURS_AHEAD_DAYS = 31


@dataclass(frozen=True)
class WindowWithHours:
    window: Window
    hours: WindowHours


def windows_with_hours(department: Department) -> list[WindowWithHours]:
    """The department's windows with their office hours (窗口办公时间) for the guide."""
    windows = list(Window.objects.filter(department=department).order_by("number"))
    if not windows:
        return []
    today = clock.today()
    hours = window_hours([w.pk for w in windows], get_calendar(), today,
                         today + dt.timedelta(days=HOURS_AHEAD_DAYS))
    return [WindowWithHours(w, hours[w.pk]) for w in windows]


def department_items(department: Department) -> QuerySet[ItemVersion]:
    return published().filter(item__department=department)


def item_count() -> int:
    return Item.objects.filter(ItemVersion.published_through("versions__")).distinct().count()
