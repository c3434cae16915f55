"""The pathway browser's filters: stage (by age overlap), the child's age (typed, or from a
date of birth, corrected for prematurity), service, tag and search words.

Different parameters narrow the results (AND); repeated values of one parameter widen them
(OR). Values we do not recognise, say from an old shared link, are set aside and named,
never an error, so the recognised ones still filter.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import django_filters
from django import forms
from django.utils.functional import cached_property
from django_filters.filters import FilterMethod

from . import ages
from .ages import AgeError, ChildAge, parse_gestation, read_age
from .models import Entry, Service, Stage, Tag

# The longest value of each typed parameter, in characters. The form fields, the API's
# OpenAPI schema, the page's inputs and the offline script all take them from here.
PARAMETER_LIMITS = {
    "age": ages.MAX_AGE_TEXT_LENGTH,
    "dob": 20,
    "born_at_weeks": ages.MAX_GESTATION_TEXT_LENGTH,
    "q": 200,
}


def _copy(thing):
    """A shallow copy of an object with a __dict__ (copy.copy, without its protocol's cost)."""
    result = object.__new__(type(thing))
    result.__dict__.update(thing.__dict__)
    return result


class CopiedLightly:
    """A form field each form copies without deep-copying its widget (Django's Field copies
    it deeply so a form may change it; the page writes its own inputs). It pays: a third of a
    filterset's own time (docs/benchmarks.md). What Django copies is pinned by
    tests/test_filters.py::test_the_light_copies_rely_on_what_django_and_django_filter_do."""

    def __deepcopy__(self, memo):
        result = _copy(self)
        memo[id(self)] = result
        result.widget = _copy(self.widget)  # a ChoiceField sets its widget's choices
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


class LenientMultipleChoiceField(CopiedLightly, forms.MultipleChoiceField):
    """A multiple choice that keeps the values it knows and remembers the ones it does not."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unrecognised: list[str] = []

    def clean(self, value):
        values = self.to_python(value)
        self.unrecognised = [v for v in values if not self.valid_value(v)]
        return [v for v in values if self.valid_value(v)]


class SearchField(CopiedLightly, forms.CharField):
    pass


class ChildAgeField(CopiedLightly, forms.CharField):
    """A child's age typed as "45d", "10w", "3m", "2y" or "1y6m", cleaned to whole days and
    the age in the words the person used: (70, "10 weeks")."""

    def clean(self, value):
        # The text is checked as text first (length, null characters), then read as an age.
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return read_age(text)
        except AgeError as error:
            raise forms.ValidationError(str(error), code="invalid_age") from error


class GestationField(CopiedLightly, forms.CharField):
    """Weeks of pregnancy at birth as clinicians write them ("32", "32+4", "32w4d", "32 weeks
    4 days"), cleaned to days. Any readable gestation is kept: whether it corrects the age is
    ChildAge's rule, said beside the age."""

    def clean(self, value):
        # Read as gestation at once: text too long or not a gestation gets the same message,
        # with an example.
        text = self.to_python(value)
        if text in self.empty_values:
            return None
        try:
            return parse_gestation(text)
        except AgeError as error:
            raise forms.ValidationError(str(error), code="invalid_gestation") from error


class DateOfBirthField(CopiedLightly, forms.DateField):
    """A date of birth as people type it in the UK (23/9/26, 23/09/2026, 23 Sep 2026,
    23 September 2026) or in ISO form (2026-09-23), up to today and no older than a typed age
    may be (ages.is_past_oldest). A two-digit year is 20YY."""

    default_error_messages = {
        "invalid": (
            "Enter the date of birth as a real date, for example 23/09/2026, "
            "23 September 2026 or 2026-09-23."
        ),
        "future": (
            "The date of birth is in the future: enter a date up to today, for example 23/09/2026."
        ),
        "too_old": ages.AGE_MESSAGES["born_too_long_ago"],
    }
    FORMATS = [
        "%Y-%m-%d",
        "%d/%m/%Y",
        "%d-%m-%Y",
        "%d.%m.%Y",
        "%d %m %Y",
        "%d %b %Y",
        "%d %B %Y",
    ]
    # How a typed date is tidied before it is read, in order (case aside): commas are spaces,
    # spaces are single; "Sept" is how many write September (strptime knows "Sep"); a
    # two-digit year at the end of a day-first date is this century's.
    REWRITES = [
        (",", " "),
        (r"\s+", " "),
        (r"^ | $", ""),
        (r"\bsept\b", "Sep"),
        (r"^(?!\d{3})(?P<head>.*[/.\- ])(?P<year>\d{2})$", r"\g<head>20\g<year>"),
    ]

    def __init__(self, **kwargs):
        super().__init__(input_formats=self.FORMATS, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            for pattern, replacement in self.REWRITES:
                value = re.sub(pattern, replacement, value, flags=re.IGNORECASE)
        return super().to_python(value)

    def clean(self, value):
        if isinstance(value, str) and len(value) > PARAMETER_LIMITS["dob"]:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        born = super().clean(value)
        if born is None:
            return None
        today = ages.uk_today()
        for code, wrong in (
            ("future", born > today),
            ("too_old", ages.is_past_oldest((today - born).days)),
        ):
            if wrong:
                raise forms.ValidationError(self.error_messages[code], code=code)
        return born


BOTH_AGES = "Give the child's age or their date of birth, not both."


class EntryFilterForm(forms.Form):
    """Every parameter of the browser's query string, read and checked. The stage, service
    and tag choices are this pathway's, given to each form (`choices`).

    The child's age is read from whichever of `age` and `dob` was given, with gestation:
    together they make one child's age, which `EntryFilter.filter_queryset` applies once."""

    age = ChildAgeField(
        label="Child's age",
        required=False,
        max_length=PARAMETER_LIMITS["age"],
        help_text="For example 10w, 3m or 2y",
    )
    dob = DateOfBirthField(label="Date of birth", required=False)
    born_at_weeks = GestationField(
        label="Weeks of pregnancy at birth, if born early",
        required=False,
        max_length=PARAMETER_LIMITS["born_at_weeks"],
        # Why a corrected age is used, and which, is said beside the results' age.
        help_text="For example 32 or 32+4.",
    )

    stage = LenientMultipleChoiceField(
        label="Stage", required=False, widget=forms.CheckboxSelectMultiple
    )
    service = LenientMultipleChoiceField(
        label="Service", required=False, widget=forms.CheckboxSelectMultiple
    )
    tag = LenientMultipleChoiceField(
        label="Tag", required=False, widget=forms.CheckboxSelectMultiple
    )
    q = SearchField(
        label="Search the pathway",
        required=False,
        max_length=PARAMETER_LIMITS["q"],
        help_text='Words in the rationale, criteria or interventions. Use "quotes" for a '
        "phrase and -word to leave a word out.",
    )

    def __init__(self, *args, choices: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        for name, offered in choices.items():
            self.fields[name].choices = offered

    def clean(self):
        data = super().clean()
        typed, born = data.get("age"), data.get("dob")
        gestation = data.get("born_at_weeks")
        unreadable = "born_at_weeks" in self.errors
        if typed is not None and born is not None:
            raise forms.ValidationError(BOTH_AGES, code="both_ages")
        if (gestation is not None or unreadable) and typed is None and born is None:
            if "age" not in self.errors and "dob" not in self.errors and not unreadable:
                self.add_error("born_at_weeks", ages.GESTATION_MESSAGES["needs_age"])
            return data
        about = {"gestation_days": gestation, "gestation_unreadable": unreadable}
        if born is not None:
            today = ages.uk_today()
            data["child_age"] = ChildAge((today - born).days, born=born, today=today, **about)
        elif typed is not None:
            days, words = typed
            data["child_age"] = ChildAge(days, words=words, **about)
        return data


class CopiedFilter:
    """A filter each FilterSet copies shallowly, with its own `extra` and its method bound to
    the copy (django-filter copies every filter deeply for each request). It pays like
    CopiedLightly, and is pinned by the same test."""

    def __deepcopy__(self, memo):
        result = _copy(self)
        memo[id(self)] = result
        result.extra = dict(self.extra)
        if isinstance(self.filter, FilterMethod):
            result.filter = FilterMethod(result)
        return result


class MultipleChoiceFilter(CopiedFilter, django_filters.MultipleChoiceFilter):
    pass


class CharFilter(CopiedFilter, django_filters.CharFilter):
    pass


# How "Filters in use" names a parameter where it differs from the form's label.
ACTIVE_LABELS = {"born_at_weeks": "Born at"}
# Every parameter of the browser's query string, in the order the page lists filters in use.
PARAMETERS = ("stage", "age", "dob", "born_at_weeks", "service", "tag", "q")


def filter_options(entries) -> tuple[list[Stage], list[Service], list[Tag]]:
    """The stages, services and tags the given entries use, one query each: the same rows
    give the form's choices and the stages' bounds."""
    return tuple(list(model.objects.used_by(entries)) for model in (Stage, Service, Tag))


class EntryFilter(django_filters.FilterSet):
    """Filters a pathway's entries, e.g. `EntryFilter(request.GET, queryset=...)`."""

    # What each parameter does to the entries; the form (EntryFilterForm) reads and checks it.
    stage = MultipleChoiceFilter(method="filter_stage")
    service = MultipleChoiceFilter(field_name="service__slug", lookup_expr="exact", distinct=False)
    tag = MultipleChoiceFilter(field_name="tag__slug", lookup_expr="exact", distinct=False)
    q = CharFilter(method="filter_words")

    class Meta:
        model = Entry
        form = EntryFilterForm
        fields = ["stage", "service", "tag", "q"]

    def __init__(
        self, data=None, queryset=None, *, request=None, prefix=None, options=None, glossary=None
    ):
        """`options`: filter_options() as read earlier (the browser reuses them per content
        version); read here when not given. `glossary`: the search's (read when searching if
        not given)."""
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.glossary = glossary
        # What the filters offer is what the entries being filtered use (this pathway's, as
        # far as the person asking may see them): a draft's new tag stays unseen, and the
        # lists stay as short as the pathway. The browser passes them in, built once per
        # content version for visitors.
        entries = self.queryset if self.queryset is not None else Entry.objects.none()
        self.stages, self.services, self.tags = options or filter_options(entries)
        # A shared link may also name an option this pathway no longer uses (its entries
        # were withdrawn): it still filters, to nothing, unless only hidden entries use it.
        self.known = {
            name: [*offered, *self._also_known(model, name, offered)]
            for name, model, offered in (
                ("stage", Stage, self.stages),
                ("service", Service, self.services),
                ("tag", Tag, self.tags),
            )
        }

    @cached_property
    def form(self) -> EntryFilterForm:
        """The form for this request, offering this pathway's choices (in place of
        django-filter's form class made from the filters)."""
        known = self.known
        return EntryFilterForm(
            self.data if self.is_bound else None,
            prefix=self.form_prefix,
            choices={
                "stage": [(s.slug, s.label) for s in known["stage"]],
                "service": [(s.slug, s.name) for s in known["service"]],
                "tag": [(t.slug, t.name) for t in known["tag"]],
            },
        )

    def _also_known(self, model, name: str, offered: list) -> list:
        given = self.data.getlist(name) if hasattr(self.data, "getlist") else []
        slugs = {option.slug for option in offered}
        given = [slug for slug in given if slug.strip() and slug not in slugs]
        if not given:
            return []  # the usual case costs no query
        hidden = Entry.objects.exclude(pk__in=Entry.objects.published().values("pk"))
        used_by_hidden = model.objects.used_by(hidden)
        return list(model.objects.filter(slug__in=given).exclude(pk__in=used_by_hidden))

    def filter_queryset(self, queryset):
        # As django-filter's own, but over the filters only: cleaned_data also holds the
        # child's age that the form worked out from age, dob and born_at_weeks.
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        if self.child_age is not None:
            queryset = queryset.for_ages(self.child_age.ages)
        return queryset

    def select(self, queryset):
        """The entries of `queryset` these filters select: what `qs` is for the queryset
        they were made with (the pathway page makes its own only when it must read it)."""
        self.form.is_valid()
        return self.filter_queryset(queryset.all())

    @property
    def child_age(self) -> ChildAge | None:
        """The age the results are for, or None when no usable age was given."""
        self.form.is_valid()
        return self.form.cleaned_data.get("child_age")

    @property
    def search_text(self) -> str:
        self.form.is_valid()
        return self.form.cleaned_data.get("q") or ""

    def meaning(self, bands) -> str:
        """What these filters select, as text: the same for every query that selects the same
        entries of a pathway whose entries use the age `bands` ((start, end) days). A child's
        age counts by the bands that hold it, so thousands of dates of birth mean a few
        dozen different selections, each fetched once per content version."""
        self.form.is_valid()
        data = self.form.cleaned_data
        parts = []
        for name in self.filters:
            value = data.get(name)
            if value:
                parts.append(f"{name}={sorted(value) if isinstance(value, list) else value!r}")
        if self.child_age is not None:
            held = [band for band in bands if self.child_age.in_band(*band)]
            parts.append(f"bands={held}")
        return "&".join(parts)

    def filter_stage(self, queryset, name, slugs):
        chosen = [stage for stage in self.known["stage"] if stage.slug in slugs]
        return queryset.overlapping(chosen)

    def filter_words(self, queryset, name, text):
        return queryset.search(text, glossary=self.glossary)

    def unrecognised(self) -> list[tuple[str, list[str]]]:
        """(label, values) for each parameter with values we did not recognise."""
        form = self.form
        form.is_valid()
        found = []
        for name in ("stage", "service", "tag"):
            values = form.fields[name].unrecognised
            if values:
                found.append((form.fields[name].label, values))
        return found

    def chosen(self, name: str) -> list:
        """The recognised objects chosen for a multiple-choice parameter, in list order."""
        self.form.is_valid()
        slugs = set(self.form.cleaned_data.get(name) or [])
        return [option for option in self.known[name] if option.slug in slugs]

    def active(self) -> list[dict]:
        """Each filter in use, in words, with the query string that removes just it.

        The page lists these so one click takes a filter off, with or without JavaScript.
        """
        form = self.form
        form.is_valid()
        data = self.data
        names = {"stage": "label", "service": "name", "tag": "name"}
        active = []
        for name in PARAMETERS:
            field = form.fields[name]
            if name in names:
                for option in self.chosen(name):
                    active.append(
                        {
                            "parameter": name,
                            "value": option.slug,
                            "label": field.label,
                            "text": getattr(option, names[name]),
                            "query": _without(data, name, option.slug),
                        }
                    )
            elif form.cleaned_data.get(name) not in (None, ""):
                value = data.get(name, "")
                label = ACTIVE_LABELS.get(name, field.label)
                text = value.strip()
                if name == "born_at_weeks":
                    text = ages.describe_gestation(form.cleaned_data[name])
                active.append(
                    {
                        "parameter": name,
                        "value": value,
                        "label": label,
                        "text": text,
                        "query": _without(data, name, value),
                    }
                )
        return active


def _without(data, name: str, value: str) -> str:
    """The query string `data` with one value of one parameter taken out."""
    return canonical_query(data, without=(name, value))


def canonical_query(data, without: tuple[str, str] | None = None) -> str:
    """The query string without empty values, so shared links show only what was chosen
    (and without the one (name, value) pair `without` names)."""
    pairs = [
        (name, value)
        for name in data
        for value in data.getlist(name)
        if value.strip() and (name, value) != without
    ]
    return urlencode(pairs)
