"""Each query parameter of the pathway browser, and their combinations, with the exact
entries expected. Entries are named by their place in the seed page (10, 20, ... 190)."""

import copy

import pytest
from django import forms
from django.http import QueryDict
from django_filters.filters import FilterMethod
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.ages import ChildAge
from pathways.filters import EntryFilter, EntryFilterForm
from pathways.models import Entry

from .conftest import IMH_URL, examples

ALL = list(range(10, 200, 10))
HEALTH_VISITING = [10, 20, 30, 40, 50, 60, 70, 90, 100, 140, 150, 160, 170]
CHILDRENS_CENTRES = [80, 110, 120, 130, 180]
PRIMARY_CARE = [190]
CORE_PURPOSE_2 = [60, 80, 90, 110, 120, 130, 150, 160, 180]
BIRTH_TO_5_YEARS = [180, 190]
EMPTY = "There are no rationales that match your filters."


def shown(client, query: str) -> list[int]:
    """Positions of the entries the browser shows for a query string, in page order."""
    response = client.get(f"{IMH_URL}?{query}")
    assert response.status_code == 200
    return [entry.position for entry in response.context["entries"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        # Overlap: an entry whose band reaches into the stage shows, whatever its heading.
        ("stage=birth-6-weeks", [10, 20, 30, 40, 50, 60, *BIRTH_TO_5_YEARS]),
        ("stage=8-weeks-6-months", [70, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("stage=6-12-months", [100, 110, 120, 130, *BIRTH_TO_5_YEARS]),
        ("stage=1-3-years", [140, 150, 160, *BIRTH_TO_5_YEARS]),
        ("stage=3-5-years", [170, *BIRTH_TO_5_YEARS]),
        # Repeated values widen (OR), still in seed order, each entry once.
        ("stage=3-5-years&stage=birth-6-weeks", [10, 20, 30, 40, 50, 60, 170, 180, 190]),
        ("service=health-visiting", HEALTH_VISITING),
        ("service=childrens-centres-eyfs", CHILDRENS_CENTRES),
        ("service=primary-care-gp", PRIMARY_CARE),
        ("service=primary-care-gp&service=childrens-centres-eyfs", [80, 110, 120, 130, 180, 190]),
        ("tag=core-purpose-2", CORE_PURPOSE_2),
        ("tag=targeted-support", [190]),
        ("tag=core-purpose-2&tag=targeted-support", [*CORE_PURPOSE_2, 190]),
    ],
)
def test_stage_service_and_tag(client, imh, query, expected):
    assert shown(client, query) == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        ("0d", [10, 20, 30, 40, 60, *BIRTH_TO_5_YEARS]),
        ("20d", [10, 20, 30, 40, 60, *BIRTH_TO_5_YEARS]),
        ("3w", [10, 20, 30, 40, 50, 60, *BIRTH_TO_5_YEARS]),  # 21 days: 3 - 8 weeks starts
        ("41d", [10, 20, 30, 40, 50, 60, *BIRTH_TO_5_YEARS]),
        # 6 weeks is 42 days: in the bands that start at 6 weeks, not in "Birth - 6 weeks".
        ("6w", [50, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("45d", [50, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("55d", [50, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("8w", [70, 80, 90, 130, *BIRTH_TO_5_YEARS]),  # 56 days: "3 - 8 weeks" has ended
        ("10w", [70, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("3m", [70, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("182d", [70, 80, 90, 130, *BIRTH_TO_5_YEARS]),
        ("6m", [100, 110, 120, 130, *BIRTH_TO_5_YEARS]),  # 183 days
        ("364d", [100, 110, 120, 130, *BIRTH_TO_5_YEARS]),
        ("1y", [140, 150, 160, *BIRTH_TO_5_YEARS]),  # 365 days
        ("12m", [140, 150, 160, *BIRTH_TO_5_YEARS]),
        ("1y6m", [140, 150, 160, *BIRTH_TO_5_YEARS]),
        ("2y", [140, 150, 160, *BIRTH_TO_5_YEARS]),
        ("1095d", [140, 150, 160, *BIRTH_TO_5_YEARS]),
        ("3y", [170, *BIRTH_TO_5_YEARS]),  # 1096 days
        ("4y11m", [170, *BIRTH_TO_5_YEARS]),
        ("1825d", [170, *BIRTH_TO_5_YEARS]),
        ("5y", []),  # 1826 days: past every band
        ("10y", []),
    ],
)
def test_age(client, imh, age, expected):
    assert shown(client, f"age={age}") == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # 170 repeats 140's interventions ("As above in 1 - 3 years age range plus:").
        ("q=massage", [50, 60, 70, 80, 100, 140, 170]),
        ("q=MASSAGE", [50, 60, 70, 80, 100, 140, 170]),
        ("q=admisisons", [10]),  # the seed's own spelling finds it
        ("q=NICU", [20]),  # a bullet point
        ("q=bonding+attachment", [50, 70, 100, 140, 170]),  # every word, anywhere in the entry
        ("q=teenage", [130, 150]),  # the rationale
        ("q=emotional+availability", [50, 70, 100, 140, 170]),  # the criteria
        ("q=zebra", []),
    ],
)
def test_free_text(client, imh, query, expected):
    assert shown(client, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=1-3-years&service=childrens-centres-eyfs", [180]),
        ("stage=3-5-years&service=primary-care-gp&tag=targeted-support", [190]),
        ("age=10w&service=health-visiting", [70, 90]),
        ("age=10w&stage=birth-6-weeks", [180, 190]),
        ("age=2y&tag=core-purpose-2&q=groups", [150]),
        (
            "stage=birth-6-weeks&stage=6-12-months&service=childrens-centres-eyfs",
            [110, 120, 130, 180],
        ),
        ("service=primary-care-gp&tag=core-purpose-2", []),
        ("age=6w&stage=1-3-years", [180, 190]),
    ],
)
def test_combinations(client, imh, query, expected):
    assert shown(client, query) == expected


def test_each_entry_is_listed_once_under_its_own_stage(client, imh):
    response = client.get(f"{IMH_URL}?stage=1-3-years")
    html = response.content.decode()
    assert html.count('id="entry-180"') == 1
    # The Birth - 5 years entries stay under their own heading, "3 - 5 years".
    assert html.index('id="stage-heading-3-5-years"') < html.index('id="entry-180"')
    assert html.index('id="stage-heading-1-3-years"') < html.index('id="entry-140"')


def test_count_and_empty_state(client, imh):
    content = client.get(f"{IMH_URL}?service=childrens-centres-eyfs").content.decode()
    assert "Showing 5 of 19 rationales" in content
    assert EMPTY not in content
    content = client.get(f"{IMH_URL}?service=primary-care-gp&tag=core-purpose-2").content.decode()
    assert "Showing 0 of 19 rationales" in content
    assert EMPTY in content
    assert "Please amend your choices to see more rationales." in content


def test_unknown_value_is_named_and_the_known_ones_still_filter(client, imh):
    response = client.get(f"{IMH_URL}?service=health-visiting&service=nope")
    assert [e.position for e in response.context["entries"]] == HEALTH_VISITING
    content = response.content.decode()
    assert "Service: “nope” was not recognised, so it was ignored." in content
    # Its checkbox state survives too.
    assert 'value="health-visiting" checked' in content


def test_only_unknown_values_filter_nothing(client, imh):
    response = client.get(f"{IMH_URL}?stage=birth-9-weeks&tag=old-tag")
    assert [e.position for e in response.context["entries"]] == ALL
    content = response.content.decode()
    assert "Stage: “birth-9-weeks” was not recognised" in content
    assert "Tag: “old-tag” was not recognised" in content


@pytest.mark.parametrize("age", ["ten weeks", "10", "-3w", "1y6", "w", "99999999y", "1x"])
def test_bad_age_gets_a_message_and_changes_nothing(client, imh, age):
    response = client.get(IMH_URL, {"age": age, "service": "primary-care-gp"})
    assert response.status_code == 200
    assert [e.position for e in response.context["entries"]] == PRIMARY_CARE
    assert response.context["filter"].form.errors["age"]
    assert "nhsuk-error-message" in response.content.decode()


def test_overlong_search_is_refused_with_a_message(client, imh):
    response = client.get(IMH_URL, {"q": "massage " * 40})
    assert response.status_code == 200
    assert [e.position for e in response.context["entries"]] == ALL
    assert "at most 200 characters" in response.content.decode()


def test_filterset_alone(imh):
    """The FilterSet is usable without a request: a CSV export or API can reuse it."""
    data = {"stage": ["3-5-years"], "service": ["childrens-centres-eyfs"]}
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, values in data.items():
        query.setlist(key, values)
    filterset = EntryFilter(query, queryset=Entry.objects.for_browser(imh))
    assert [e.position for e in filterset.qs] == [180]
    assert filterset.unrecognised() == []


# Issue 16, defect 2: the filters offer what this pathway's visible entries use, nothing else.


@pytest.fixture
def draft_only_options(imh):
    """A service and a tag used only by a draft entry, and a tag no entry uses."""
    from pathways.models import Service, Status, Tag

    secret_service = Service.objects.create(name="Secret Service", slug="secret-service")
    secret_tag = Tag.objects.create(name="Secret Tag", slug="secret-tag")
    Tag.objects.create(name="Unused Tag", slug="unused-tag")
    source = Entry.objects.get(pathway=imh, position=10)
    Entry.objects.create(
        pathway=imh,
        position=15,
        stage=source.stage,
        age_band=source.age_band,
        rationale="A draft.",
        service=secret_service,
        tag=secret_tag,
        status=Status.DRAFT,
    )


def filter_options(content: str, name: str) -> list[str]:
    import re

    return re.findall(rf'name="{name}" type="checkbox" value="([^"]*)"', content)


def test_the_page_offers_only_the_options_its_visible_entries_use(client, draft_only_options):
    content = client.get(IMH_URL).content.decode()
    assert filter_options(content, "service") == [
        "health-visiting",
        "childrens-centres-eyfs",
        "primary-care-gp",
    ]
    assert filter_options(content, "tag") == ["core-purpose-2", "targeted-support"]
    assert "Secret" not in content
    assert "Unused Tag" not in content


def test_editors_see_the_options_their_preview_uses(client, draft_only_options, editor):
    client.force_login(editor)
    content = client.get(IMH_URL).content.decode()
    assert filter_options(content, "tag") == ["secret-tag", "core-purpose-2", "targeted-support"]
    assert "secret-service" in filter_options(content, "service")
    assert "unused-tag" not in filter_options(content, "tag")


def test_a_draft_only_option_is_not_recognised_for_visitors(client, draft_only_options):
    response = client.get(f"{IMH_URL}?tag=secret-tag")
    assert [entry.position for entry in response.context["entries"]] == ALL
    assert response.context["unrecognised"] == [("Tag", ["secret-tag"])]


# The fixture's content is only read, so one database serves every example.
@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    days=st.integers(min_value=0, max_value=2000),
    gestation=st.one_of(st.none(), st.integers(min_value=22 * 7, max_value=41 * 7)),
)
def test_a_childs_bands_are_the_bands_the_database_selects(imh, days, gestation):
    """The page keeps the rows it lists per selection, counting a child's age by the bands
    that hold it (ChildAge.in_band); the database selects by EntryQuerySet.for_ages. The two
    must agree for every age, corrected or not."""
    child = ChildAge(days, gestation_days=gestation)
    entries = Entry.objects.published().filter(pathway=imh).select_related("age_band")
    selected = {entry.pk for entry in entries.for_ages(child.ages)}
    in_band = {
        entry.pk
        for entry in entries
        if child.in_band(entry.age_band.start_days, entry.age_band.end_days)
    }
    assert selected == in_band


def test_the_same_selection_has_one_meaning_and_another_a_different_one(imh):
    entries = Entry.objects.published().filter(pathway=imh)
    bands = sorted(set(entries.values_list("age_band__start_days", "age_band__end_days")))

    def meaning(query: str) -> str:
        return EntryFilter(QueryDict(query), queryset=entries).meaning(bands)

    same = {meaning("age=9w"), meaning("age=11w&service="), meaning("dob=&age=10w")}
    assert len(same) == 1
    others = [
        "age=7w",
        "age=9w&service=health-visiting",
        "age=9w&stage=birth-6-weeks",
        "age=9w&tag=core-purpose-2",
        "age=9w&q=massage",
        "age=9w&born_at_weeks=30",
        "",
    ]
    assert len({meaning(query) for query in others} | same) == len(others) + 1


def test_filtersets_share_no_state_between_requests(imh):
    """Fields and filters are copied lightly for each request (filters.CopiedLightly,
    CopiedFilter): one request's choices, values and unrecognised values never reach
    another's, nor the class's own fields and filters."""
    entries = Entry.objects.published().filter(pathway=imh)
    first = EntryFilter(QueryDict("service=nonsense&stage=birth-6-weeks"), queryset=entries)
    assert first.unrecognised() == [("Service", ["nonsense"])]
    assert [e.position for e in first.qs] == [10, 20, 30, 40, 50, 60, 180, 190]
    first.form.fields["service"].choices = [("only-here", "Only here")]
    first.filters["service"].extra["choices"] = [("only-here", "Only here")]
    second = EntryFilter(QueryDict("service=health-visiting"), queryset=entries)
    assert second.unrecognised() == []
    assert [e.position for e in second.qs] == HEALTH_VISITING
    assert ("only-here", "Only here") not in second.form.fields["service"].choices
    assert ("only-here", "Only here") not in second.form.fields["service"].widget.choices
    assert "choices" not in second.filters["service"].extra
    assert "choices" not in EntryFilter.base_filters["service"].extra
    assert EntryFilterForm.base_fields["service"].choices == []
    assert EntryFilterForm.base_fields["service"].widget.choices == []
    # Each filter's method is its own filterset's.
    assert second.filters["stage"].filter.f is second.filters["stage"]
    assert second.filters["stage"].parent is second
    assert first.form.fields["service"] is not second.form.fields["service"]
    assert first.form.fields["service"].unrecognised == ["nonsense"]


IMMUTABLE = (str, int, bool, type(None), type)


def test_the_light_copies_rely_on_what_django_and_django_filter_do():
    """CopiedLightly and CopiedFilter copy only what Django's Field.__deepcopy__ and a deep
    copy of a django-filter Filter would give each form and filterset of its own. This fails
    loudly if an upgrade of Django or django-filter gives fields or filters more state."""
    for name, field in EntryFilterForm.base_fields.items():
        theirs = forms.Field.__deepcopy__(field, {})
        renewed = {key for key, value in vars(field).items() if vars(theirs)[key] is not value}
        # _choices is replaced, never changed in place, by the choices setter each form uses.
        assert renewed <= {"widget", "error_messages", "validators", "_choices"}, name
        ours = copy.deepcopy(field)
        assert ours.widget is not field.widget and vars(ours.widget) == vars(field.widget)
        assert vars(ours) == {**vars(field), "widget": ours.widget}, name
    # Django's forms copy their base fields deeply, and its choice fields set their widget's.
    form = EntryFilterForm(choices={"service": [("a", "A")]})
    assert form.fields["service"].widget.choices == [("a", "A")]
    assert form.fields["service"] is not EntryFilterForm.base_fields["service"]
    # django-filter copies its filters deeply for each filterset; what a filter holds is
    # settings (immutable), its `extra` (copied) and, with a method, a FilterMethod (bound
    # afresh to the copy).
    filterset = EntryFilter(QueryDict(), queryset=Entry.objects.none(), options=([], [], []))
    for name, base in EntryFilter.base_filters.items():
        mine = filterset.filters[name]
        assert mine is not base and mine.extra is not base.extra and mine.extra == base.extra
        for key, value in vars(base).items():
            if key == "filter":
                assert isinstance(value, FilterMethod) and value.f is base
                assert mine.filter.f is mine and mine.filter.method == getattr(
                    filterset, mine.method
                )
            elif key == "extra":
                assert all(isinstance(v, IMMUTABLE) for v in value.values()), name
            else:
                assert isinstance(value, IMMUTABLE), (name, key)
