"""Age bands (and stages) from their label: editors type "6 weeks - 1 year", the days are
worked out by PRODUCT.md's rules and shown; an unreadable label is refused with a message;
an entry's form cannot delete a shared band. (Every fixture band's days against its label:
tests/test_fixtures.py.)"""

import pytest

from pathways.models import AgeBand, Entry, Stage

from ..conftest import approve_pending


def add_band(client, label, **extra):
    return client.post(
        "/admin/pathways/ageband/add/",
        {"label": label, "slug": extra.pop("slug", "new-band"), "position": 50, **extra},
    )


@pytest.mark.parametrize(
    ("label", "days"),
    [
        ("6 weeks - 2 years", (42, 731)),  # 730.5 days, halves up
        ("Birth - 8 weeks", (0, 56)),
        ("3-9 months", (91, 274)),
        ("18 months - 3 years", (548, 1096)),
    ],
)
def test_the_days_are_worked_out_from_the_label(client, imh, editor, approver, label, days):
    client.force_login(editor)
    # Days typed by hand (or sent by an old form) are not used: the label says what they are.
    response = add_band(client, label, start_days=1, end_days=2)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not AgeBand.objects.filter(label=label).exists()  # shared content: it waits
    assert approve_pending(approver) == 1
    band = AgeBand.objects.get(label=label)
    assert (band.start_days, band.end_days) == days
    page = client.get(f"/admin/pathways/ageband/{band.pk}/change/").content.decode()
    assert f"covers days {days[0]} to {days[1] - 1}" in page
    assert 'name="start_days"' not in page and 'name="end_days"' not in page


def test_the_list_shows_the_days_each_band_covers(client, imh, editor):
    client.force_login(editor)
    content = client.get("/admin/pathways/ageband/").content.decode()
    assert "covers days 42 to 364" in content  # 6 weeks - 1 year
    assert "covers days 0 to 1825" in content  # Birth - 5 years


@pytest.mark.parametrize("label", ["Toddlers", "6 weeks", "1 - 3 fortnights", "-"])
def test_an_unreadable_label_gets_a_clear_message(client, imh, editor, label):
    client.force_login(editor)
    response = add_band(client, label)
    assert response.status_code == 200
    content = response.content.decode()
    assert "cannot be read as an age range" in content
    assert "“Birth - 6 weeks”, “3 - 8 weeks”, “6-12 months” or “1 - 3 years”" in content
    assert not AgeBand.objects.filter(slug="new-band").exists()


def test_relabelling_a_stage_moves_its_days(client, imh, editor, approver):

    stage = Stage.objects.get(slug="1-3-years")
    client.force_login(editor)
    client.post(
        f"/admin/pathways/stage/{stage.pk}/change/",
        {"label": "1 - 4 years", "slug": stage.slug, "position": stage.position},
    )
    approve_pending(approver)  # stages are shared, live content
    stage.refresh_from_db()
    assert (stage.label, stage.start_days, stage.end_days) == ("1 - 4 years", 365, 1461)


def test_the_entry_form_cannot_delete_a_shared_band(client, imh, editor):
    client.force_login(editor)
    entry = Entry.objects.get(pathway=imh, position=10)
    form = client.get(f"/admin/pathways/entry/{entry.pk}/change/").content.decode()
    for field in ("stage", "age_band", "service", "tag"):
        assert f'id="delete_id_{field}"' not in form
        assert f'id="add_id_{field}"' in form  # adding a new one stays possible
