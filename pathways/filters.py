"""The pathway browser's filters: stage (by age overlap), child's age, service, tag and words.

Different parameters narrow the results (AND); repeated values of one parameter widen them
(OR). Values we do not recognise, say from an old shared link, are set aside and named,
never an error, so the recognised ones still filter.
"""

from __future__ import annotations

import django_filters
from django import forms

from .ages import AgeError, parse_age
from .models import Entry, Service, Stage, Tag

MAX_SEARCH_LENGTH = 200


class LenientMultipleChoiceField(forms.MultipleChoiceField):
    """A multiple choice that keeps the values it knows and remembers the ones it does not."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unrecognised: list[str] = []

    def clean(self, value):
        values = self.to_python(value)
        self.unrecognised = [v for v in values if not self.valid_value(v)]
        return [v for v in values if self.valid_value(v)]


class ChildAgeField(forms.CharField):
    """A child's age typed as "45d", "10w", "3m", "2y" or "1y6m", cleaned to whole days."""

    def clean(self, value):
        # The text is checked as text first (length, null characters), then read as an age.
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            return parse_age(text)
        except AgeError as error:
            raise forms.ValidationError(str(error), code="invalid_age") from error


class LenientMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = LenientMultipleChoiceField


class ChildAgeFilter(django_filters.Filter):
    field_class = ChildAgeField


class EntryFilter(django_filters.FilterSet):
    """Filters a pathway's entries; build it with `EntryFilter.for_pathway(...)`."""

    stage = LenientMultipleChoiceFilter(
        label="Stage", method="filter_stage", widget=forms.CheckboxSelectMultiple
    )
    age = ChildAgeFilter(
        label="Child's age",
        method="filter_age",
        max_length=40,
        help_text="For example 45d, 10w, 3m, 2y or 1y6m",
    )
    service = LenientMultipleChoiceFilter(
        label="Service",
        field_name="service__slug",
        lookup_expr="exact",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tag = LenientMultipleChoiceFilter(
        label="Tag",
        field_name="tag__slug",
        lookup_expr="exact",
        distinct=False,
        widget=forms.CheckboxSelectMultiple,
    )
    q = django_filters.CharFilter(
        label="Search the pathway",
        method="filter_words",
        max_length=MAX_SEARCH_LENGTH,
        help_text="Words in the rationale, criteria or interventions",
    )

    class Meta:
        model = Entry
        fields = ["stage", "age", "service", "tag", "q"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        # One query each: the same rows give the form's choices and the stages' bounds.
        self.stages = list(Stage.objects.all())
        self.services = list(Service.objects.all())
        self.tags = list(Tag.objects.all())
        self.filters["stage"].extra["choices"] = [(s.slug, s.label) for s in self.stages]
        self.filters["service"].extra["choices"] = [(s.slug, s.name) for s in self.services]
        self.filters["tag"].extra["choices"] = [(t.slug, t.name) for t in self.tags]

    def filter_stage(self, queryset, name, slugs):
        chosen = [stage for stage in self.stages if stage.slug in slugs]
        return queryset.overlapping(chosen)

    def filter_age(self, queryset, name, days):
        return queryset.for_age(days)

    def filter_words(self, queryset, name, text):
        return queryset.matching_words(text)

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
        options = {"stage": self.stages, "service": self.services, "tag": self.tags}[name]
        return [option for option in options if option.slug in slugs]

    def active(self) -> list[dict]:
        """Each filter in use, in words, with the query string that removes just it.

        The page lists these so one click takes a filter off, with or without JavaScript.
        """
        form = self.form
        form.is_valid()
        data = self.data
        names = {"stage": "label", "service": "name", "tag": "name"}
        active = []
        for name in ("stage", "age", "service", "tag", "q"):
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
                active.append(
                    {
                        "parameter": name,
                        "value": value,
                        "label": field.label,
                        "text": value.strip(),
                        "query": _without(data, name, value),
                    }
                )
        return active


def _without(data, name: str, value: str) -> str:
    """The query string `data` with one value of one parameter taken out."""
    query = data.copy()
    query.setlist(name, [v for v in data.getlist(name) if v != value])
    return canonical_query(query)


def canonical_query(data) -> str:
    """The query string without empty values, so shared links show only what was chosen."""
    query = data.copy()
    for name in list(query):
        query.setlist(name, [v for v in query.getlist(name) if v.strip()])
    return query.urlencode()
