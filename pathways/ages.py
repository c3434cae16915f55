"""Children's ages in whole days: parsing what a practitioner types ("10w", "1y6m")
and the labels of age bands ("6 weeks - 1 year"), with one set of units and one rounding rule."""

import re
from decimal import ROUND_HALF_UP, Decimal

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


def parse_age(text: str) -> int:
    """Days for an age such as "45d", "10w", "3m", "2y", "1y6m" or "1 year 6 months"."""
    text = (text or "").strip()
    if not text:
        raise AgeError("Enter the child's age, for example 10w, 3m or 2y.")
    if len(text) > 40:
        raise AgeError("The child's age is too long. Enter it like 10w, 3m or 2y.")
    match = _AGE_RE.match(text)
    if not match or not any(match.groupdict().values()):
        if text.isdigit():
            raise AgeError(
                "Add a unit to the child's age: d for days, w for weeks, "
                "m for months or y for years, for example 10w."
            )
        raise AgeError(
            "Enter the child's age using d, w, m or y, for example 45d, 10w, 3m, 2y or 1y6m."
        )
    parts = {unit: int(value or 0) for unit, value in match.groupdict().items()}
    days = to_days(parts["y"], parts["m"], parts["w"], parts["d"])
    if days > MAX_AGE_DAYS:
        raise AgeError("Enter a child's age under 19 years.")
    return days


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


def describe_days(days: int) -> str:
    """A short reading of a day count for messages, e.g. "45 days"."""
    return f"{days} day" if days == 1 else f"{days} days"
