"""The fixtures hold the seeds' content, consistently, and load idempotently."""

import io

import pytest
from django.core.management import call_command
from django.utils.text import slugify

from pathways.ages import parse_band_label
from pathways.models import (
    AgeBand,
    ContextDocument,
    Entry,
    Intervention,
    Pathway,
    Service,
    Stage,
    Tag,
    content_models,
)

from .conftest import FIXTURES

MODELS = content_models()


def dump() -> str:
    out = io.StringIO()
    # The content version changes at every load, as at every save: it versions the content.
    call_command(
        "dumpdata",
        "pathways",
        exclude=["pathways.ContentVersion"],
        natural_foreign=True,
        natural_primary=True,
        indent=1,
        stdout=out,
    )
    return out.getvalue()


def test_loading_twice_changes_nothing(imh):
    counts = {model: model.objects.count() for model in MODELS}
    before = dump()
    call_command("loaddata", *FIXTURES, verbosity=0)
    assert dump() == before
    assert {model: model.objects.count() for model in MODELS} == counts


def test_counts(imh):
    assert Entry.objects.filter(pathway=imh).count() == 19
    assert list(Stage.objects.values_list("label", flat=True)) == [
        "Birth - 6 weeks",
        "8 weeks - 6 months",
        "6-12 months",
        "1 - 3 years",
        "3 - 5 years",
    ]
    assert list(Service.objects.values_list("name", flat=True)) == [
        "Health Visiting",
        "Childrens Centres & EYFS",
        "Primary Care & GP",
    ]
    assert list(Tag.objects.values_list("name", flat=True)) == [
        "Core Purpose 2",
        "Targeted Support",
    ]
    assert ContextDocument.objects.get().sections.count() == 10
    # Faithful gaps: two entries in the seed have no interventions.
    assert Entry.objects.filter(interventions__isnull=True).count() == 2


def test_related_pathway_exists_without_entries(imh):
    related = imh.related_pathways.get()
    assert related.title == "Parental Mental Health and Wellbeing"
    assert not related.entries.exists()


@pytest.mark.parametrize("model", [Stage, AgeBand])
def test_bounds_and_slugs_follow_the_labels(imh, model):
    for age_range in model.objects.all():
        assert (age_range.start_days, age_range.end_days) == parse_band_label(age_range.label)
        assert age_range.slug == slugify(age_range.label)


@pytest.mark.parametrize("model", [Service, Tag, Pathway])
def test_slugs_are_slugified_names(imh, model):
    for obj in model.objects.all():
        assert obj.slug == slugify(str(obj))


def test_every_row_passes_model_validation(imh):
    for model in MODELS:
        for obj in model.objects.all():
            obj.full_clean()


def test_no_non_breaking_spaces_or_bullet_glyphs_in_content(imh):
    for entry in Entry.objects.all():
        assert "\u00a0" not in entry.rationale + entry.criteria
    for intervention in Intervention.objects.all():
        assert "\u00a0" not in intervention.text + intervention.bullets
        assert "•" not in intervention.bullets
