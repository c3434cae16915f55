"""Children's ages in whole days: parsing what a practitioner types ("10w", "1y6m")
and the labels of age bands ("6 weeks - 1 year"), with one set of units and one rounding rule."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.utils import timezone

# PRODUCT.md fixes these: a month is 1/12 of a Julian year, so 12 months == 1 year.
DAYS_PER_UNIT = {
    "y": Decimal("365.25"),
    "m": Decimal("30.4375"),
    "w": Decimal("7"),
    "d": Decimal("1"),
}

# The oldest age we accept: the pathways stop at 5 years, but an older child is a real
# question with an honest answer (nothing applies); a thousand years is a typo.
MAX_AGE_DAYS = 19 * 365
# The longest age text read: "1 year, 6 months and 2 weeks" with room to spare.
MAX_AGE_TEXT_LENGTH = 40

_UNIT_WORDS = {
    "y": r"y|yr|yrs|year|years",
    "m": r"m|mo|mth|mths|month|months",
    "w": r"w|wk|wks|week|weeks",
    "d": r"d|day|days",
}
_AGE_RE = re.compile(
    r"^\s*"
    + "".join(
        rf"(?:(?P<{unit}>\d{{1,5}})\s*(?:{words})(?![a-z])\s*,?\s*(?:and\s+)?)?"
        for unit, words in _UNIT_WORDS.items()
    )
    + r"$",
    re.IGNORECASE,
)


class AgeError(ValueError):
    """An age that cannot be understood; the message is written for the practitioner."""


def to_days(years: int = 0, months: int = 0, weeks: int = 0, days: int = 0) -> int:
    """Total days, rounded to the nearest whole day with halves rounded up."""
    total = (
        years * DAYS_PER_UNIT["y"]
        + months * DAYS_PER_UNIT["m"]
        + weeks * DAYS_PER_UNIT["w"]
        + days * DAYS_PER_UNIT["d"]
    )
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# What the page says about an age it cannot use; offline.js is handed the same words.
AGE_MESSAGES = {
    "empty": "Enter the child's age, for example 10w, 3m or 2y.",
    "too_long": "The child's age is too long. Enter it like 10w, 3m or 2y.",
    "no_unit": (
        "Add a unit to the child's age: d for days, w for weeks, "
        "m for months or y for years, for example 10w."
    ),
    "unreadable": (
        "Enter the child's age using d, w, m or y, for example 45d, 10w, 3m, 2y or 1y6m."
    ),
    "too_old": "Enter a child's age under 19 years.",
    "born_too_long_ago": "Enter a date of birth less than 19 years ago.",
}


def is_past_oldest(days: int) -> bool:
    """Whether an age, typed or from a date of birth, is past the oldest we read: a typo,
    not a child. From PATHWAY_END_DAYS up to it, a child is outside the pathway, which the
    page says beside the empty state (ChildAge.beyond_pathway), however the age was given."""
    return days > MAX_AGE_DAYS


def read_age(text: str) -> tuple[int, str]:
    """Days for an age such as "45d", "10w", "3m", "2y", "1y6m" or "1 year 6 months", and the
    age restated in the units the person used ("2 months", "10 weeks", "1 year 6 months")."""
    text = (text or "").strip()
    if not text:
        raise AgeError(AGE_MESSAGES["empty"])
    if len(text) > MAX_AGE_TEXT_LENGTH:
        raise AgeError(AGE_MESSAGES["too_long"])
    match = _AGE_RE.match(text)
    if not match or not any(match.groupdict().values()):
        raise AgeError(AGE_MESSAGES["no_unit" if text.isdigit() else "unreadable"])
    parts = {unit: int(value or 0) for unit, value in match.groupdict().items()}
    days = to_days(parts["y"], parts["m"], parts["w"], parts["d"])
    if is_past_oldest(days):
        raise AgeError(AGE_MESSAGES["too_old"])
    given = [(int(value), UNIT_NAMES[unit]) for unit, value in match.groupdict().items() if value]
    return days, _join(*given)


# A typed age restated in the units typed ("1 year 6 months"); offline.js is handed the words.
UNIT_NAMES = {"y": "year", "m": "month", "w": "week", "d": "day"}


def age_rules_for_browser() -> dict:
    """How to read a typed age, for offline.js: the pattern (JavaScript's named-group
    syntax), each unit's size in days, the oldest age and the messages."""
    return {
        "pattern": _AGE_RE.pattern.replace("(?P<", "(?<"),
        "days_per_unit": {unit: float(size) for unit, size in DAYS_PER_UNIT.items()},
        "max_days": MAX_AGE_DAYS,
        "messages": AGE_MESSAGES,
        # Each unit's words for one and for any other number {n}, as _plural writes them.
        "units": {
            unit: {
                "one": _plural(1, name).replace("1", "{n}", 1),
                "other": _plural(2, name).replace("2", "{n}", 1),
            }
            for unit, name in UNIT_NAMES.items()
        },
    }


def _bound_days(number: str, unit: str) -> int:
    return to_days(**{unit.lower().rstrip("s") + "s": int(number)})


def parse_band_label(label: str) -> tuple[int, int]:
    """The half-open range [start, end) in days named by an age band label.

    "Birth - 6 weeks" -> (0, 42); "6-12 months" -> (183, 365); "3 - 8 weeks" -> (21, 56).
    A bare number on the left takes the unit of the right ("3 - 8 weeks").
    """
    match = re.fullmatch(
        r"\s*(?P<start>birth|\d+)\s*(?P<start_unit>weeks?|months?|years?)?\s*-\s*"
        r"(?P<end>\d+)\s*(?P<end_unit>weeks?|months?|years?)\s*",
        label,
        re.IGNORECASE,
    )
    if not match:
        raise ValueError(f"Not an age band label: {label!r}")
    end_unit = match["end_unit"]
    end = _bound_days(match["end"], end_unit)
    if match["start"].lower() == "birth":
        return 0, end
    return _bound_days(match["start"], match["start_unit"] or end_unit), end


# Prematurity (PRODUCT.md "Corrected age"): below the second birthday, a baby born from 22+0
# to 36+6 weeks' gestation is also read at their corrected age, the actual age less the time
# born before 40 weeks. Gestation is held in days.
FULL_TERM_DAYS = 40 * 7
CORRECT_FROM_GESTATION_DAYS = 22 * 7
CORRECT_TO_GESTATION_DAYS = 36 * 7 + 6
# A typed age is corrected below 2 years by the same units as everything else ("2y" and
# "24m" are not); an age from a date of birth is corrected until the calendar day of the
# second birthday.
CORRECT_UNTIL_DAYS = to_days(years=2)
CORRECT_UNTIL_YEARS = 2
# The pathways are for children from birth to 5 years.
PATHWAY_END_DAYS = to_days(years=5)
PATHWAY_RANGE = "This pathway covers children from birth to 5 years."

# The longest gestation text read: "32 weeks and 4 days" with room to spare. The days beyond
# the weeks are 0 to 6 (read by the pattern, so offline.js reads them by it too).
MAX_GESTATION_TEXT_LENGTH = 20
_GESTATION_RE = re.compile(
    r"^\s*(?P<weeks>\d{1,2})\s*(?:"
    r"\+\s*(?P<plus>0?[0-6])\s*(?:d|days?)?"
    r"|(?:w|wk|wks|weeks?)(?:\s*,?\s*(?:and\s+|\+\s*)?(?P<days>0?[0-6])\s*(?:d|days?))?"
    r")?\s*$",
    re.IGNORECASE,
)
GESTATION_MESSAGES = {
    "unreadable": (
        "Enter the weeks of pregnancy at birth like 32, 32+4, 32w4d or 32 weeks 4 days. "
        "Until then the results are for the child's actual age."
    ),
    "needs_age": "Give the child's age or date of birth as well as the weeks at birth.",
}
# The mark on each result when a corrected age is in use: at which age it applies.
APPLIES_AT = {
    "actual": "actual age",
    "corrected": "corrected age",
    "both": "both actual and corrected age",
}
# Which mark, by whether a band holds the actual age and the corrected age ("1" or "0" each);
# offline.js is handed the same table.
MARKS = {"11": "both", "10": "actual", "01": "corrected"}


# A gestation given as a FHIR Quantity: its unit's days, rounded half up as CQL's Round does
# (the Library's "Gestation At Birth In Days"), so a record, $apply and the CQL read alike.
QUANTITY_DAYS = {"wk": 7, "week": 7, "weeks": 7, "d": 1, "day": 1, "days": 1}


def quantity_days(value: float, unit: str) -> int | None:
    """Whole days of a Quantity in weeks or days (None for another unit)."""
    per = QUANTITY_DAYS.get(unit)
    if per is None:
        return None
    return int((Decimal(str(value)) * per).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_gestation(text: str) -> int:
    """Days of pregnancy at birth for "32", "32+4", "32w4d", "32 weeks 4 days" or "32 weeks"."""
    text = (text or "").strip()
    match = _GESTATION_RE.match(text) if len(text) <= MAX_GESTATION_TEXT_LENGTH else None
    if not match:
        raise AgeError(GESTATION_MESSAGES["unreadable"])
    return int(match["weeks"]) * 7 + int(match["plus"] or match["days"] or 0)


# Gestation in words, as clinicians write it; offline.js is handed the same.
GESTATION_WORDS = {"whole": "{weeks} weeks", "part": "{weeks}+{days} weeks"}


def describe_gestation(days: int) -> str:
    """Gestation in words: "32 weeks", "32+4 weeks" (32 weeks and 4 days)."""
    weeks, extra = divmod(days, 7)
    return GESTATION_WORDS["part" if extra else "whole"].format(weeks=weeks, days=extra)


def gestation_rules_for_browser() -> dict:
    """How offline.js reads gestation and corrects a typed age: the same pattern, bounds and
    words as the server."""
    return {
        "pattern": _GESTATION_RE.pattern.replace("(?P<", "(?<"),
        "max_length": MAX_GESTATION_TEXT_LENGTH,
        "full_term_days": FULL_TERM_DAYS,
        "correct_from": CORRECT_FROM_GESTATION_DAYS,
        "correct_to": CORRECT_TO_GESTATION_DAYS,
        "correct_until_days": CORRECT_UNTIL_DAYS,
        "pathway_end_days": PATHWAY_END_DAYS,
        "marks": MARKS,
        "words": GESTATION_WORDS,
        "messages": GESTATION_MESSAGES,
    }


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _join(*parts: tuple[int, str]) -> str:
    words = [_plural(n, unit) for n, unit in parts if n]
    return " ".join(words) or _plural(0, parts[-1][1])


# From 26 weeks an age is said in months and years; from a date of birth, calendar ones.
CALENDAR_FROM_DAYS = 26 * 7


def _years_months(months: int, rest_days: int) -> str:
    """From 6 months: "7 months 2 weeks", "1 year 11 months 4 weeks", "2 years 1 month"."""
    if months < 12:
        return _join((months, "month"), (rest_days // 7, "week"))
    if months < 24:
        return _join((1, "year"), (months - 12, "month"), (rest_days // 7, "week"))
    return _join((months // 12, "year"), (months % 12, "month"))


def describe_days(days: int) -> str:
    """An age in days in a practitioner's words: "10 weeks 3 days", "7 months 2 weeks",
    "1 year 11 months 4 weeks", "2 years 1 month". Months and years are the same averages
    used everywhere else."""
    if days < 7:
        return _plural(days, "day")
    if days < CALENDAR_FROM_DAYS:
        return _join((days // 7, "week"), (days % 7, "day"))
    # Whole months are counted with the same rounding as read_age, so "1y" reads back as
    # "1 year" and "6m" as "6 months".
    months = int(Decimal(days) / DAYS_PER_UNIT["m"]) + 1
    while to_days(months=months) > days:
        months -= 1
    return _years_months(months, days - to_days(months=months))


def _add_months(day: date, months: int) -> date:
    """The same day of the month `months` later; a day the month lacks (31st, 29 February)
    moves to the 1st of the next month, as a birthday on 29 February is kept on 1 March."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    try:
        return day.replace(year=year, month=month)
    except ValueError:
        after = date(year + month // 12, month % 12 + 1, 1)
        return after


def describe_since(born: date, today: date) -> str:
    """An age from a date of birth in calendar words: below 26 weeks as describe_days; then
    calendar months, so a second birthday reads "2 years" and the day before it
    "1 year 11 months 4 weeks"."""
    days = (today - born).days
    if days < CALENDAR_FROM_DAYS:
        return describe_days(days)
    months = (today.year - born.year) * 12 + today.month - born.month
    while months > 0 and _add_months(born, months) > today:
        months -= 1
    return _years_months(months, (today - _add_months(born, months)).days)


def second_birthday(born: date) -> date:
    return _add_months(born, 12 * CORRECT_UNTIL_YEARS)


def uk_today() -> date:
    """Today's date in the UK (settings.TIME_ZONE), whatever the server's clock zone."""
    return timezone.localdate()


@dataclass(frozen=True)
class ChildAge:
    """A child's age as the practitioner gave it, and the ages the pathway is read at.

    Below the second birthday a baby born from 22+0 to 36+6 weeks is read at both their
    actual age (visits are timed from birth) and their corrected age (development is judged
    by it): the actual age less the time born before 40 weeks.
    """

    actual_days: int
    gestation_days: int | None = None
    born: date | None = None
    today: date | None = None
    # The typed age in the words the person used ("2 months"), when it was typed.
    words: str | None = None
    gestation_unreadable: bool = False

    @property
    def from_date_of_birth(self) -> bool:
        return self.born is not None

    @property
    def gestation_in_range(self) -> bool:
        return (
            self.gestation_days is not None
            and CORRECT_FROM_GESTATION_DAYS <= self.gestation_days <= CORRECT_TO_GESTATION_DAYS
        )

    @property
    def past_second_birthday(self) -> bool:
        if self.born is not None and self.today is not None:
            return self.today >= second_birthday(self.born)
        return self.actual_days >= CORRECT_UNTIL_DAYS

    @property
    def days_early(self) -> int:
        return FULL_TERM_DAYS - self.gestation_days if self.gestation_days is not None else 0

    @property
    def is_corrected(self) -> bool:
        return self.gestation_in_range and not self.past_second_birthday

    @property
    def corrected_days(self) -> int:
        return self.actual_days - self.days_early

    @property
    def before_due_date(self) -> bool:
        return self.is_corrected and self.corrected_days < 0

    @property
    def days(self) -> int:
        """The corrected age in days (0 before the due date) when corrected, else the age."""
        return max(self.corrected_days, 0) if self.is_corrected else self.actual_days

    @property
    def ages(self) -> list[int]:
        """The ages in days the pathway is read at: the actual age, and the corrected age
        when corrected (before the due date, what applies at birth)."""
        return [self.actual_days, self.days] if self.is_corrected else [self.actual_days]

    @property
    def beyond_pathway(self) -> bool:
        return self.actual_days >= PATHWAY_END_DAYS

    def in_band(self, start_days: int, end_days: int) -> bool:
        """Whether a band [start, end) holds any of the ages the pathway is read at: the
        rule EntryQuerySet.for_ages gives the database."""
        return any(start_days <= days < end_days for days in self.ages)

    def applies_at(self, start_days: int, end_days: int) -> str | None:
        """For a band [start, end): "actual", "corrected" or "both" when corrected; None when
        the age is not corrected (the mark would say nothing) or the band does not apply."""
        if not self.is_corrected:
            return None
        held = "".join(str(int(start_days <= days < end_days)) for days in self.ages)
        return MARKS.get(held)

    @property
    def in_words(self) -> str:
        """The corrected age in words when corrected ("not yet due" before the due date),
        else the actual age."""
        if not self.is_corrected:
            return self.actual_in_words
        return "not yet due" if self.before_due_date else describe_days(self.corrected_days)

    @property
    def actual_in_words(self) -> str:
        if self.born is not None and self.today is not None:
            return describe_since(self.born, self.today)
        return self.words or describe_days(self.actual_days)

    def sentence_case(self) -> str:
        """Which of AGE_SENTENCES says what the page used and why."""
        if self.gestation_unreadable:
            return "unreadable"
        if self.gestation_days is None:
            return "plain"
        if not self.gestation_in_range:
            return "term" if self.gestation_days > CORRECT_TO_GESTATION_DAYS else "too_early"
        if self.past_second_birthday:
            return "past_second_birthday"
        return "not_yet_due" if self.before_due_date else "corrected"

    def sentences(self) -> list[str]:
        """What the page says about the ages it used and why, in plain words."""
        born_at = describe_gestation(self.gestation_days or 0)
        values = {
            "actual": self.actual_in_words,
            "today": AGE_TODAY if self.from_date_of_birth else "",
            "born_at": born_at,
            "early": describe_days(self.days_early),
            "corrected": self.in_words,
            "due": describe_days(max(-self.corrected_days, 0)),
        }
        return [sentence.format(**values) for sentence in AGE_SENTENCES[self.sentence_case()]]


# What the page says about the ages it used (ChildAge.sentences), by case; offline.js is
# handed the same sentences and fills in the same values.
AGE_TODAY = " today"
_ACTUAL = "Showing what applies to a child aged {actual}{today} (actual age)."
_EARLY = "The child was born at {born_at}, {early} early"
_BOTH = (
    ". Visits are timed from birth and development is judged by corrected age, so both "
    "apply until the second birthday; each rationale says which age it applies at."
)
AGE_SENTENCES = {
    "plain": ["Showing what applies to a child aged {actual}{today}."],
    "unreadable": [
        _ACTUAL,
        "The weeks of pregnancy at birth could not be read, so the age is not corrected for "
        "prematurity: enter them like 32, 32+4 or 32w4d.",
    ],
    "term": [
        _ACTUAL,
        "The child was born at {born_at}: a baby born at 37 weeks or later is not corrected "
        "for prematurity, so the actual age is used.",
    ],
    "too_early": [
        _ACTUAL,
        "The child was born at {born_at}: age is corrected only for a birth from 22+0 to "
        "36+6 weeks, so the actual age is used.",
    ],
    "past_second_birthday": [
        _ACTUAL,
        _EARLY + ", but from the second birthday age is not corrected for prematurity, so "
        "the actual age is used.",
    ],
    "not_yet_due": [
        "Showing what applies at the child's actual age, {actual}{today}, and at their "
        "corrected age, which is not yet due (due in {due}): what applies at birth is shown "
        "for it.",
        _EARLY + _BOTH,
    ],
    "corrected": [
        "Showing what applies at the child's actual age, {actual}{today}, and at their "
        "corrected age, {corrected}.",
        _EARLY + _BOTH,
    ],
}


@lru_cache(maxsize=1)
def days_in_words() -> tuple[str, ...]:
    """describe_days for every age below the second birthday, by days: what offline.js says
    a corrected age, a time born early or due, or a young age from a date of birth in. Made
    once per process: it depends on nothing but these rules."""
    return tuple(describe_days(days) for days in range(CORRECT_UNTIL_DAYS))


@lru_cache(maxsize=1)
def calendar_words() -> tuple[tuple[str, ...], ...]:
    """describe_since's words past CALENDAR_FROM_DAYS, by whole calendar months and then
    the whole weeks after them (one entry from 2 years, where weeks are not said), up to
    the oldest age read: what offline.js says an age from a date of birth in."""
    return tuple(
        tuple(_years_months(months, weeks * 7) for weeks in range(5 if months < 24 else 1))
        for months in range(MAX_AGE_DAYS * 12 // 365 + 1)
    )
