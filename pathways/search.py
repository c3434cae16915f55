"""Searching the pathway in the practitioner's own words, and marking what matched.

One search, on both databases and in the offline copy. Text and typed words are read the same
way: case, accents, apostrophes and dashes do not matter (`normalise`), and text is split into
words at anything that is not a letter or digit (`words_of`). A typed word then finds:

- any word with the same stem (the Snowball English stemmer, PostgreSQL's `english`
  configuration: "attached" finds "attachment"); stop words ("the", "and") are left out;
- in a typed word of TYPO_MIN_LENGTH letters or more, a word of the pathway one typo away
  (a letter added, dropped or changed, or two neighbouring letters swapped: "admissions"
  finds the seed's "admisisons");
- the glossary's other names for it, both ways ("SW" finds "social worker", "neonatal"
  finds "NICU" through "neonatal intensive care unit");
- a compound of the content in each of its spellings, joined, hyphenated or spaced
  ("postnatal", "post-natal", "post natal": `compounds_in`, kept in the Glossary).

"quoted phrases" need their words together, -word leaves entries out. An entry's words are
its rationale, criteria and interventions, and the interventions of the entry it repeats
("As above in 1 - 3 years age range plus:") while that entry is published
(`Entry.repeats_shown`: never a draft's words); its service's and tag's names find it too,
though a phrase never runs from its words into a name.

PostgreSQL matches a written-out tsquery against a GIN-indexed search vector that triggers
keep current (migrations 0006, 0012 and 0013), or the service's or tag's name matched in
Python, and finds typo candidates with pg_trgm; SQLite reads the entries' words in Python.
Matches are marked with <mark> either way, in Python: a phrase (a glossary expansion, a
spaced compound) whole, and only where its words stand together.
`SearchableQuerySet` holds both; the entry queryset mixes it in.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

import snowballstemmer
from django.apps import apps
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections, models
from django.db.models import F, Q, Value
from django.utils.safestring import SafeString, mark_safe

# Marks travel through Python as control characters that cannot occur in content
# (pathways.characters: the request guard and the importer refuse them), so the text can be
# escaped whole before they become tags.
START, STOP = "\x02", "\x03"
TERM_PATTERN = r'(-?)"([^"]*)"?|(-?)(\S+)'
# Apostrophes and dashes as phones and word processors type them, each read as the plain one:
# "children’s" is "children's", "parent–infant" is "parent-infant".
SAME_AS = {
    **dict.fromkeys("\u2018\u2019\u201b\u02bc\u00b4`", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
}
_SAME_AS = str.maketrans(SAME_AS)
# A word: letters and digits. Everything else (spaces, apostrophes, dashes, slashes) parts
# words, as PostgreSQL's search vector reads the same text (pathways_search_text, 0012).
_WORD = re.compile(r"[^\W_]+")
# Only typed words this long get a typo allowance: shorter ones have too many neighbours.
TYPO_MIN_LENGTH = 5
# PostgreSQL's english.stop (tsearch_data), the stop words of its `english` configuration.
_STOP_LIST = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves what which "
    "who whom this that these those am is are was were be been being have has had having do "
    "does did doing a an the and but if or because as until while of at by for with about "
    "against between into through during before after above below to from up down in out on "
    "off over under again further then once here there when where why how all any both each "
    "few more most other some such no nor not only own same so than too very s t can will "
    "just don should now"
)
STOP_WORDS = frozenset(_STOP_LIST.split(" "))
# Inflections tried on each of the pathway's words, so the offline copy knows the stems of
# words the pathway does not use but a practitioner may type ("attaching" for "attached").
_ENDINGS = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ment", "ments", "ion", "ions")


def normalise(text: str) -> str:
    """Text as search compares it: one apostrophe and one dash, accents stripped, lower case.
    offline.js folds typed words by this, as a table (pathways.offline.rules.folding)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SAME_AS))
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).lower()


def words_of(text: str) -> list[str]:
    """The words search reads in a text, normalised, in order: "Children’s Centre" ->
    ["children", "s", "centre"]."""
    return _WORD.findall(normalise(text))


_stemmers = threading.local()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A normalised word's stem as PostgreSQL's `english` configuration gives it: "" for a
    stop word (never searched), the word itself if it holds a digit (PostgreSQL's `simple`
    dictionary for numbers and "1y6m"), otherwise the Snowball English stem."""
    if word in STOP_WORDS:
        return ""
    if any(char.isdigit() for char in word):
        return word
    if not hasattr(_stemmers, "english"):
        _stemmers.english = snowballstemmer.stemmer("english")
    return _stemmers.english.stemWord(word)


def one_typo_apart(typed: str, word: str) -> bool:
    """Whether `word` is `typed` with at most one letter added, dropped or changed, or two
    neighbouring letters swapped (the optimal string alignment distance is 0 or 1)."""
    if typed == word:
        return True
    if abs(len(typed) - len(word)) > 1:
        return False
    if len(typed) == len(word):
        differ = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        return (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and typed[differ[0]] == word[differ[1]]
            and typed[differ[1]] == word[differ[0]]
        )
    shorter, longer = sorted((typed, word), key=len)
    i = 0
    while i < len(shorter) and shorter[i] == longer[i]:
        i += 1
    return shorter[i:] == longer[i + 1 :]


def may_have_typo(word: str) -> bool:
    return len(word) >= TYPO_MIN_LENGTH and bool(stem(word))


def stems_of(words) -> tuple[str, ...]:
    """The stems of words that are not stop words."""
    return tuple(s for s in map(stem, words) if s)


# Two words written with a dash between them ("post-natal"), in normalised text.
_DASHED = re.compile(r"([^\W_]+)-(?=([^\W_]+))")
# The shortest part of a compound found by splitting a word of the content in two.
SPLIT_PART_MIN_LENGTH = 3


def _compound_part(word: str) -> bool:
    # A stop word has no stem and never counts in a search ("follow-up" is "follow").
    return len(word) >= 2 and word.isalpha() and bool(stem(word))


def compounds_in(texts) -> dict[str, tuple[str, str]]:
    """The compounds of the content, joined -> its two parts: two words the content writes
    hyphenated ("stand-alone"), or side by side where it also writes them joined ("Post
    Natal Ward" and "postnatal"), or a word it splits into two of its other words. Search
    reads each compound's joined, hyphenated and spaced spellings as the same (Glossary)."""
    vocabulary: set[str] = set()
    side_by_side: set[tuple[str, str]] = set()
    candidates: set[tuple[str, str]] = set()
    for text in texts:
        if text:
            normal = normalise(text)
            words = _WORD.findall(normal)
            vocabulary.update(words)
            side_by_side.update(zip(words, words[1:], strict=False))
            candidates.update(_DASHED.findall(normal))
    candidates |= {(a, b) for a, b in side_by_side if a + b in vocabulary}
    for word in vocabulary:
        for i in range(SPLIT_PART_MIN_LENGTH, len(word) - SPLIT_PART_MIN_LENGTH + 1):
            if word[:i] in vocabulary and word[i:] in vocabulary:
                candidates.add((word[:i], word[i:]))
    found: dict[str, tuple[str, str]] = {}
    for a, b in sorted(candidates):
        if _compound_part(a) and _compound_part(b):
            found.setdefault(a + b, (a, b))
    return dict(sorted(found.items()))


def _any_case(word: str) -> str:
    return "".join(
        f"[{c}{c.upper()}]" if len(c.upper()) == 1 and c.upper() != c else re.escape(c)
        for c in word
    )


def term_pattern(compounds: dict[str, tuple[str, str]]) -> str:
    """TERM_PATTERN, reading a compound typed with a space ("post natal") as one term."""
    spaced = sorted({rf"{_any_case(a)}\s+{_any_case(b)}" for a, b in compounds.values()})
    if not spaced:
        return TERM_PATTERN
    return rf'(-?)"([^"]*)"?|(-?)((?:{"|".join(spaced)})(?!\S)|\S+)'


def spellings(name: list[str], compounds: dict[str, tuple[str, str]]) -> list[list[str]]:
    """A name (as words) and its other spellings: each compound in it joined or spaced."""
    found = [list(name)]
    for i in range(len(name)):
        if name[i] in compounds:
            found.append([*name[:i], *compounds[name[i]], *name[i + 1 :]])
        if i + 1 < len(name) and compounds.get(name[i] + name[i + 1]) == (name[i], name[i + 1]):
            found.append([*name[:i], name[i] + name[i + 1], *name[i + 2 :]])
    return found


@dataclass(frozen=True)
class Glossary:
    """The glossary's names for things, for search: `names[key]` lists every name (as words)
    of each glossary term that a typed word or phrase with that key names. A key is the stems
    of a typed phrase's words, space-separated; a group is named by any of its names, and, by
    a single typed word, by any word of them ("neonatal" names NICU, "neonatal intensive care
    unit"). The content's compounds are groups too, each of its spellings (compounds_in), and
    `pattern` reads a compound typed with a space as one term. offline.js looks typed words
    up in the same table and splits a search by the same pattern (handed over by rules.py)."""

    names: dict[str, list[list[str]]] = field(default_factory=dict)
    pattern: str = TERM_PATTERN

    @classmethod
    def of(cls, terms, compounds: dict[str, tuple[str, str]] | None = None) -> Glossary:
        """From (abbreviation, [expansion, ...]) pairs and the content's compounds."""
        compounds = compounds or {}
        names: dict[str, list[list[str]]] = {}

        def add(group: list[list[str]], keys: set[str]) -> None:
            for key in sorted(keys):
                known = names.setdefault(key, [])
                known += [name for name in group if name not in known]

        for term, expansions in terms:
            group = [words_of(name) for name in [term, *expansions]]
            group = [list(name) for name in dict.fromkeys(map(tuple, group)) if stems_of(name)]
            single = {s for name in group for s in stems_of(name)}
            group = [spelt for name in group for spelt in spellings(name, compounds)]
            add(group, {" ".join(stems_of(name)) for name in group} | single)
        for joined, parts in compounds.items():
            keys = {stem(joined), " ".join(stems_of(parts))}
            # Either spelling names all that the other does.
            named = [name for key in sorted(keys) for name in names.get(key, [])]
            group = [[joined], list(parts), *named]
            add(group, keys)
        return cls(names, term_pattern(compounds))

    def other_names(self, words: list[str]) -> list[list[str]]:
        return [name for name in self.names.get(" ".join(stems_of(words)), []) if name != words]


def load_glossary(using: str = "default", terms=None, compounds=None) -> Glossary:
    """The published glossary (or the given GlossaryTerm rows, already read), with the
    compounds of the published content (or those given, from published_compounds)."""
    if terms is None:
        terms = apps.get_model("pathways", "GlossaryTerm").objects.using(using).published()
    terms = list(terms)
    if compounds is None:
        compounds = published_compounds(using, terms)
    return Glossary.of([(term.term, term.expansion_list) for term in terms], compounds)


def published_compounds(using: str = "default", terms=None) -> dict[str, tuple[str, str]]:
    """The compounds of the published content and glossary (or the given GlossaryTerm rows,
    already read): compounds_in."""
    if terms is None:
        terms = apps.get_model("pathways", "GlossaryTerm").objects.using(using).published()
    names = [name for term in terms for name in [term.term, *term.expansion_list]]
    return compounds_in([*published_texts(using), *names])


def published_texts(using: str = "default") -> set[str]:
    """The published entries' text as search reads it, and their services' and tags' names,
    read in one query."""
    entries = apps.get_model("pathways", "Entry").objects.using(using).published()
    rows = entries.values_list(
        "rationale",
        "criteria",
        "service__name",
        "tag__name",
        "interventions__text",
        "interventions__bullets",
    )
    return {text for row in rows.order_by() for text in row if text}


@dataclass
class Terms:
    """A search split into what must appear (words and phrases) and what must not."""

    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)


@lru_cache(maxsize=64)
def _term_re(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def parse_terms(text: str, pattern: str = TERM_PATTERN) -> Terms:
    """'infant "social baby" -dad' -> include ["infant", "social baby"], exclude ["dad"];
    by the glossary's pattern, "post natal" is one term."""
    terms = Terms()
    for negated_phrase, phrase, negated_word, word in _term_re(pattern).findall(text):
        value = " ".join((phrase or word).split()).strip('"')
        if not value or value == "-":
            continue
        (terms.exclude if (negated_phrase or negated_word) else terms.include).append(value)
    return terms


@dataclass
class Wanted:
    """One typed word or phrase: `phrases` are its words and the glossary's other names for
    it; an entry has it if it has any of them (each word in turn, by stem or typo)."""

    wanted: bool
    phrases: list[list[str]]


def read_search(text: str, glossary: Glossary) -> list[Wanted]:
    """What a search asks for. Words and phrases of stop words alone are left out (as
    PostgreSQL leaves them out); a search left with nothing finds nothing."""
    terms = parse_terms(text, glossary.pattern)
    read = []
    for value, wanted in [(t, True) for t in terms.include] + [(t, False) for t in terms.exclude]:
        words = words_of(value)
        if not stems_of(words):
            continue
        phrases = [words, *glossary.other_names(words)] if wanted else [words]
        read.append(Wanted(wanted, phrases))
    return read


# A phrase as matched: per word, the stems that stand for it (None: a stop word, any word).
Pattern = list[frozenset[str] | None]


def patterns(term: Wanted, vocabulary) -> list[Pattern]:
    """Each phrase of a term as stems to match, word by word; a wanted word of
    TYPO_MIN_LENGTH letters also stands for the vocabulary's words one typo away."""
    found = []
    for phrase in term.phrases:
        pattern: Pattern = []
        for word in phrase:
            if not stem(word):
                pattern.append(None)
                continue
            stems = {stem(word)}
            if term.wanted and may_have_typo(word):
                stems |= {stem(v) for v in vocabulary.get(word, ())} - {""}
            pattern.append(frozenset(stems))
        while pattern and pattern[0] is None:
            pattern.pop(0)
        while pattern and pattern[-1] is None:
            pattern.pop()
        if pattern:
            found.append(pattern)
    return found


def typo_neighbours(typed: list[str], words) -> dict[str, set[str]]:
    """For each typed word that may have a typo, the `words` one typo away from it."""
    return {t: {w for w in words if one_typo_apart(t, w)} for t in typed if may_have_typo(t)}


def typed_words(read: list[Wanted]) -> list[str]:
    return sorted({w for term in read if term.wanted for p in term.phrases for w in p})


def has_phrase(stems: list[str], pattern: Pattern) -> bool:
    """Whether the pattern's words stand next to each other in a text's stems."""
    size = len(pattern)
    return any(
        all(want is None or stems[i + j] in want for j, want in enumerate(pattern))
        for i in range(len(stems) - size + 1)
    )


@lru_cache(maxsize=16384)
def _words_of_part(text: str) -> tuple[str, ...]:
    return tuple(words_of(text))


def entry_words(entry) -> list[str]:
    """An entry's words in the order PostgreSQL's search vector holds them: rationale,
    criteria, its interventions' text and bullets, then those of the published entry it
    repeats."""
    parts = [entry.rationale, entry.criteria]
    for intervention in entry.interventions.all():
        parts += [intervention.text, intervention.bullets]
    repeated = entry.repeats_shown
    if repeated is not None:
        for intervention in repeated.interventions.all():
            parts += [intervention.text, intervention.bullets]
    return [word for part in parts if part for word in _words_of_part(part)]


def entry_names(entry) -> list[list[str]]:
    """The words of an entry's service's and tag's names: search finds an entry by them as
    by its own words, though never a phrase across the two."""
    return [words_of(named.name) for named in (entry.service, entry.tag) if named is not None]


def searchable_text(entry) -> str:
    """An entry's words as search reads them, space-separated (for reading, and for tests)."""
    return " ".join(entry_words(entry))


def stems_for_offline(texts, glossary: Glossary) -> dict[str, str]:
    """The stems offline.js matches by: of every word in `texts` and the glossary, and of
    their usual inflections (a practitioner may type "attaching" where the pathway says
    "attached"), as the server stems them."""
    known = {w for text in texts if text for w in _words_of_part(text)}
    known |= {w for key, names in glossary.names.items() for name in names for w in name}
    known |= STOP_WORDS  # typed, they are left out
    stems = {word: stem(word) for word in known}
    for word, word_stem in list(stems.items()):
        if not word_stem or word_stem == word and len(word) < 3:
            continue
        bases = {word, word_stem, word[:-1] if word.endswith("e") else word}
        for base in bases:
            for ending in _ENDINGS:
                form = base + ending
                if form not in stems and stem(form) == word_stem:
                    stems[form] = word_stem
    return dict(sorted(stems.items()))


class _TsQuery(SearchQuery):
    """A tsquery written out with stems (see tsquery_text): cast, not parsed again."""

    def __init__(self, text: str):
        super().__init__(text, search_type="raw")

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = compiler.compile(self.source_expressions[-1])
        return f"({sql})::tsquery", params


def _lexeme(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def term_tsquery(term: Wanted, vocabulary) -> str:
    """One term as PostgreSQL's tsquery, as if wanted: a phrase as `('social') <-> ('worker')`
    (<2> over a stop word), a word's stems as `('a' | 'b')`, its phrases joined by `|`."""
    alternatives = []
    for pattern in patterns(term, vocabulary):
        written, gap = "", 0
        for want in pattern:
            gap += 1
            if want is None:
                continue
            lexemes = "(" + " | ".join(_lexeme(s) for s in sorted(want)) + ")"
            written = lexemes if not written else f"{written} <{gap}> {lexemes}"
            gap = 0
        alternatives.append(f"({written})")
    return "(" + " | ".join(alternatives) + ")" if alternatives else ""


def tsquery_text(read: list[Wanted], vocabulary) -> str:
    """The search as PostgreSQL's tsquery: `('attach') & !('father')`."""
    terms = []
    for term in read:
        joined = term_tsquery(term, vocabulary)
        if joined:
            terms.append(joined if term.wanted else f"!{joined}")
    return " & ".join(terms)


# Candidates for typos on PostgreSQL: the searched entries' words that share trigrams with a
# typed word (pg_trgm), checked exactly in Python. One typo keeps at least this similarity
# in a word of TYPO_MIN_LENGTH letters or more (tests/test_search.py checks it).
TRIGRAM_FLOOR = 0.1
_VOCABULARY_SQL = """
SELECT DISTINCT typed, word FROM (
  SELECT DISTINCT regexp_split_to_table(pathways_search_text(part), ' ') AS word FROM (
    SELECT e.rationale || ' ' || e.criteria AS part FROM pathways_entry e
      WHERE e.id IN ({entries})
    UNION ALL
    SELECT i.text || ' ' || i.bullets FROM pathways_intervention i
      WHERE i.entry_id IN ({entries}) OR i.entry_id IN ({repeated})
  ) parts
) words CROSS JOIN unnest(%s::text[]) AS typed_words(typed)
WHERE word <> '' AND similarity(word, typed) >= %s
"""


class SearchableQuerySet(models.QuerySet):
    """Search over an entry's rationale, criteria, its interventions' text and bullets, and
    the interventions of the entry it repeats while that is published (`with_repeats_shown`
    of the entry queryset this is mixed into)."""

    def search(self, text: str, glossary: Glossary | None = None):
        """Entries matching a search, annotated with `rank` (higher is better; 0 on SQLite).

        On PostgreSQL within a stage the best match comes first; elsewhere page order."""
        if glossary is None:
            glossary = load_glossary(self.db)
        read = read_search(text, glossary)
        if not read:
            return self.none().annotate(rank=Value(0.0))
        if connections[self.db].vendor == "postgresql":
            names = self._names()
            typed = [w for w in typed_words(read) if may_have_typo(w)]
            vocabulary = self._typo_neighbours_in_database(typed) if typed else {}
            for t, near in typo_neighbours(typed, {w for n in names.values() for w in n}).items():
                vocabulary.setdefault(t, set()).update(near)
            query = _TsQuery(tsquery_text(read, vocabulary))
            ranked = self.filter(_has_terms(read, vocabulary, names)).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
            # Stage headings stay in page order; within a stage the best match comes first.
            return ranked.order_by("stage__position", "stage__start_days", "-rank", "position")
        documents = self._documents_by_entry()
        words = {w for docs in documents.values() for doc in docs for w in doc}
        vocabulary = typo_neighbours(typed_words(read), words)
        wanted = [(term.wanted, patterns(term, vocabulary)) for term in read]
        matched = []
        for pk, docs in documents.items():
            stems = [[stem(w) for w in doc] for doc in docs]
            if all(
                any(has_phrase(doc, p) for doc in stems for p in found) == is_wanted
                for is_wanted, found in wanted
            ):
                matched.append(pk)
        return self.filter(pk__in=matched).annotate(rank=Value(0.0))

    def _names(self) -> dict[tuple[str, int], list[str]]:
        """The words of the searched entries' services' and tags' names, by ("service", pk)
        and ("tag", pk)."""
        names: dict[tuple[str, int], list[str]] = {}
        rows = self.order_by().values_list("service_id", "service__name", "tag_id", "tag__name")
        for service, service_name, tag, tag_name in rows.distinct():
            names[("service", service)] = words_of(service_name)
            if tag is not None:
                names[("tag", tag)] = words_of(tag_name)
        return names

    def _typo_neighbours_in_database(self, typed: list[str]) -> dict[str, set[str]]:
        entries, params = self.order_by().values("pk").query.sql_with_params()
        shown = self.order_by().with_repeats_shown().filter(repeats_shown_id__isnull=False)
        repeated, repeated_params = shown.values("repeats_shown_id").query.sql_with_params()
        sql = _VOCABULARY_SQL.format(entries=entries, repeated=repeated)
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [*params, *params, *repeated_params, typed, TRIGRAM_FLOOR])
            rows = cursor.fetchall()
        found: dict[str, set[str]] = {t: set() for t in typed}
        for t, word in rows:
            if one_typo_apart(t, word):
                found[t].add(word)
        return found

    def _documents_by_entry(self) -> dict[int, list[list[str]]]:
        """Each searched entry's words (entry_words) and its names (entry_names), read in
        two queries."""
        interventions = self.model._meta.get_field("interventions").related_model.objects
        rows = list(
            self.order_by()
            .with_repeats_shown()
            .values_list(
                "pk", "rationale", "criteria", "repeats_shown_id", "service__name", "tag__name"
            )
        )
        wanted = {row[0] for row in rows} | {row[3] for row in rows if row[3]}
        parts: dict[int, list[str]] = {}
        for entry_id, text, bullets in (
            interventions.using(self.db)
            .filter(entry_id__in=wanted)
            .order_by("position")
            .values_list("entry_id", "text", "bullets")
        ):
            parts.setdefault(entry_id, []).extend(
                [*_words_of_part(text or ""), *_words_of_part(bullets or "")]
            )
        return {
            pk: [
                [
                    *_words_of_part(rationale or ""),
                    *_words_of_part(criteria or ""),
                    *parts.get(pk, []),
                    *(parts.get(repeats, []) if repeats else []),
                ],
                *(words_of(name) for name in (service, tag) if name),
            ]
            for pk, rationale, criteria, repeats, service, tag in rows
        }


def _has_terms(read: list[Wanted], vocabulary, names: dict[tuple[str, int], list[str]]) -> Q:
    """On PostgreSQL: each wanted term in the search vector or the service's or tag's name,
    and no unwanted one in any of them."""
    condition = Q()
    for term in read:
        found = patterns(term, vocabulary)
        named = {
            key
            for key, words in names.items()
            if any(has_phrase([stem(w) for w in words], p) for p in found)
        }
        has = Q(search_vector=_TsQuery(term_tsquery(term, vocabulary)))
        has |= Q(service__in=[pk for kind, pk in named if kind == "service"])
        has |= Q(tag__in=[pk for kind, pk in named if kind == "tag"])
        condition &= has if term.wanted else ~has
    return condition


def mark_terms(text: str, terms: list[str]) -> str:
    """The text with every case-insensitive occurrence of a term wrapped in marks."""
    if not text or not terms:
        return text
    pattern = re.compile(
        "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    return pattern.sub(lambda match: f"{START}{match.group(0)}{STOP}", text)


def mark_phrases(text: str, found: list[Pattern]) -> str:
    """The text with each place a pattern matches wrapped in marks: a word, or a phrase (a
    glossary expansion, a compound spelt in two words) whole, from its first word to its
    last, and only where all its words stand together."""
    if not text or not found:
        return text
    tokens = [
        (stem(word), match.start(), match.end())
        for match in _WORD.finditer(text)
        for word in words_of(match.group(0))
    ]
    spans = []
    for pattern in found:
        size = len(pattern)
        for i in range(len(tokens) - size + 1):
            span = (tokens[i][1], tokens[i + size - 1][2])
            # Bullets are shown line by line: a mark never runs over a line's end.
            if "\n" not in text[span[0] : span[1]] and all(
                want is None or tokens[i + j][0] in want for j, want in enumerate(pattern)
            ):
                spans.append(span)
    merged: list[list[int]] = []
    for start, stop in sorted(spans):
        if merged and start < merged[-1][1]:  # overlaps the mark before: one mark
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    pieces, at = [], 0
    for start, stop in merged:
        pieces += [text[at:start], START, text[start:stop], STOP]
        at = stop
    return "".join([*pieces, text[at:]])


def render_marked(text: str) -> SafeString:
    """HTML for text carrying marks: everything escaped, then the marks made <mark> tags."""
    html = escape(text.replace(START, "").replace(STOP, "") if _unbalanced(text) else text)
    return mark_safe(html.replace(START, "<mark>").replace(STOP, "</mark>"))


def _unbalanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char == START:
            depth += 1
            if depth > 1:
                return True
        elif char == STOP:
            depth -= 1
            if depth < 0:
                return True
    return depth != 0


def mark_matches(entries, text: str, glossary: Glossary | None = None) -> None:
    """Marks what a search matched on fetched entries, their service and tag, their
    interventions and those they repeat: the `<field>_marked` attributes the card shows (see
    templatetags)."""
    if not text.strip():
        return
    read = [term for term in read_search(text, glossary or load_glossary()) if term.wanted]
    if not read:
        return
    words = {w for entry in entries for w in entry_words(entry)}
    vocabulary = typo_neighbours(typed_words(read), words)
    found = [pattern for term in read for pattern in patterns(term, vocabulary)]
    for entry in entries:
        entry.rationale_marked = mark_phrases(entry.rationale, found)
        entry.criteria_marked = mark_phrases(entry.criteria, found)
        for named in (entry.service, entry.tag):
            if named is not None:
                named.name_marked = mark_phrases(named.name, found)
        interventions = list(entry.interventions.all())
        if entry.repeats_shown is not None:
            interventions += list(entry.repeats_shown.interventions.all())
        for intervention in interventions:
            intervention.text_marked = mark_phrases(intervention.text, found)
            intervention.bullets_marked = mark_phrases(intervention.bullets, found)
