"""Children's ages in whole days: parsing what a practitioner types ("10w", "1y6m")
and the labels of age bands ("6 weeks - 1 year"), with one set of units and one rounding rule."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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
}


def parse_age(text: str) -> int:
    """Days for an age such as "45d", "10w", "3m", "2y", "1y6m" or "1 year 6 months"."""
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
    if days > MAX_AGE_DAYS:
        raise AgeError(AGE_MESSAGES["too_old"])
    return days


def age_rules_for_browser() -> dict:
    """How to read a typed age, for offline.js: the pattern (JavaScript's named-group
    syntax), each unit's size in days, the oldest age and the messages."""
    return {
        "pattern": _AGE_RE.pattern.replace("(?P<", "(?<"),
        "days_per_unit": {unit: float(size) for unit, size in DAYS_PER_UNIT.items()},
        "max_days": MAX_AGE_DAYS,
        "messages": AGE_MESSAGES,
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


# Prematurity: age is corrected by the weeks born before 40 weeks' gestation until 2 years.
FULL_TERM_WEEKS = 40
CORRECT_UNTIL_DAYS = to_days(years=2)
EARLIEST_GESTATION_WEEKS = 23
LATEST_PRETERM_WEEKS = 36


def describe_days(days: int) -> str:
    """An age in days in a practitioner's words: "10 weeks 3 days", "7 months 2 weeks",
    "2 years 1 month". Months and years are the same averages used everywhere else."""

    def plural(n: int, unit: str) -> str:
        return f"{n} {unit}" if n == 1 else f"{n} {unit}s"

    def join(*parts: tuple[int, str]) -> str:
        words = [plural(n, unit) for n, unit in parts if n]
        return " ".join(words) or plural(0, parts[-1][1])

    if days < 7:
        return plural(days, "day")
    if days < 26 * 7:
        return join((days // 7, "week"), (days % 7, "day"))
    # Whole months are counted with the same rounding as parse_age, so "1y" reads back as
    # "1 year" and "6m" as "6 months".
    months = int(Decimal(days) / DAYS_PER_UNIT["m"]) + 1
    while to_days(months=months) > days:
        months -= 1
    rest = days - to_days(months=months)
    if months < 24:
        return join((months, "month"), (rest // 7, "week"))
    return join((months // 12, "year"), (months % 12, "month"))


def uk_today() -> date:
    """Today's date in the UK (settings.TIME_ZONE), whatever the server's clock zone."""
    return timezone.localdate()


@dataclass(frozen=True)
class ChildAge:
    """A child's age as the practitioner gave it, and the age the pathway is read at.

    Below 2 years a baby born before 37 weeks is read at their corrected age: the actual
    age less the weeks born before 40 weeks' gestation.
    """

    actual_days: int
    born_at_weeks: int | None = None
    from_date_of_birth: bool = False

    @property
    def weeks_early(self) -> int:
        return FULL_TERM_WEEKS - self.born_at_weeks if self.born_at_weeks else 0

    @property
    def is_corrected(self) -> bool:
        return self.weeks_early > 0 and self.actual_days < CORRECT_UNTIL_DAYS

    @property
    def corrected_days(self) -> int:
        return self.actual_days - 7 * self.weeks_early

    @property
    def before_due_date(self) -> bool:
        return self.is_corrected and self.corrected_days < 0

    @property
    def days(self) -> int:
        """The age in days the pathway is filtered by."""
        return max(self.corrected_days, 0) if self.is_corrected else self.actual_days

    @property
    def in_words(self) -> str:
        return describe_days(self.days)

    @property
    def actual_in_words(self) -> str:
        return describe_days(self.actual_days)

    def sentences(self) -> list[str]:
        """What the page says about the age it used, in plain words."""
        today = " today" if self.from_date_of_birth else ""
        if not self.born_at_weeks:
            return [f"Showing what applies to a child aged {self.in_words}{today}."]
        early = f"born at {self.born_at_weeks} weeks, {self.weeks_early} weeks early"
        if not self.is_corrected:
            return [
                f"Showing what applies to a child aged {self.actual_in_words}{today} (actual age).",
                f"The child was {early}, but from 2 years old age is not corrected for "
                "prematurity, so the actual age is used.",
            ]
        if self.before_due_date:
            return [
                "Showing what applies at birth (corrected age 0 days).",
                f"The child is {self.actual_in_words} old{today} (actual age) and was {early}: "
                f"they have not reached their due date, which is "
                f"{describe_days(-self.corrected_days)} away.",
            ]
        return [
            f"Showing what applies to a child aged {self.in_words} (corrected age).",
            f"The child is {self.actual_in_words} old{today} (actual age) and was {early}; "
            "below 2 years old the pathway is read at the corrected age.",
        ]
