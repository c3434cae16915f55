"""htmx fragments come from a few seconds' cache, and an edit is never hidden for longer."""

import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.models import Entry, Pathway

from ..conftest import HTMX, IMH_URL

FILTERED = IMH_URL + "?service=primary-care-gp"
BUILT = 9  # the queries that build the page or fragment (tests/test_views.py)
# Once built for the content version, the pathway, its notes, the filter options, the count
# and the cards are reused: a new URL costs the entries' query alone.
REBUILT = 1


def fetch(client, url=FILTERED, headers=HTMX):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


def test_a_repeated_fragment_is_served_from_the_cache(client, imh):
    first, built_with = fetch(client)
    again, served_with = fetch(client)
    assert (built_with, served_with) == (BUILT, 0)
    assert again.content == first.content
    # PRODUCT.md "Caching": an anonymous answer varies on HX-Request alone; signed-in people
    # are never served a shared fragment (their requests carry a session: docs/deploy.md).
    assert again["Vary"] == "HX-Request"
    assert "Showing 1 of 19 rationales" in again.content.decode()


def test_the_workers_of_a_server_share_their_fragments(client, imh, settings):
    # Workers are separate processes: what one builds must be on disk for the others.
    folder = Path(settings.CACHES["fragments"]["LOCATION"])
    fetch(client)
    assert len(list(folder.glob("*.djcache"))) == 1
    assert folder.stat().st_mode & 0o777 == 0o700  # Django unpickles what it reads here


def test_each_url_has_its_own_fragment(client, imh):
    fetch(client)
    other, queries = fetch(client, IMH_URL + "?service=health-visiting")
    assert queries == REBUILT + 1  # the interventions of the cards not built yet
    assert "Showing 1 of 19" not in other.content.decode()


def test_full_pages_are_not_cached(client, imh):
    fetch(client, headers={})
    page, queries = fetch(client, headers={})
    assert queries == REBUILT
    assert "<html" in page.content.decode()


def test_the_no_cache_fixture_builds_every_fragment(client, imh, no_fragment_cache):
    fetch(client)
    assert fetch(client)[1] == BUILT


def test_fragments_are_kept_for_ten_seconds(client, imh, monkeypatch):
    assert settings.CACHES["fragments"]["TIMEOUT"] == 10
    fetch(client)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 9)
    assert fetch(client)[1] == 0
    monkeypatch.setattr(time, "time", lambda: now + 11)
    assert fetch(client)[1] == REBUILT


def test_an_edit_is_served_at_once_by_the_worker_that_saved_it(client, imh):
    fetch(client)
    entry = Entry.objects.get(pathway=imh, service__slug="primary-care-gp")
    entry.rationale = "Facilitate joint working, as reviewed."
    entry.save()
    response, queries = fetch(client)
    assert queries == BUILT
    assert "Facilitate joint working, as reviewed." in response.content.decode()


def test_a_deletion_is_served_at_once(client, imh):
    fetch(client)
    Entry.objects.get(pathway=imh, service__slug="primary-care-gp").delete()
    response, _ = fetch(client)
    assert "There are no rationales that match your filters." in response.content.decode()


def test_every_kind_of_content_change_empties_the_cache(client, imh):
    parental = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
    changes = [
        lambda: imh.reading_notes.first().save(),
        lambda: imh.entries.first().interventions.first().save(),
        lambda: imh.related_pathways.remove(parental),  # a many-to-many link
        lambda: parental.delete(),
    ]
    for change in changes:
        fetch(client)
        change()
        assert fetch(client)[1] == BUILT


def test_errors_are_not_cached(client, imh):
    assert client.get("/pathways/new-pathway/", headers=HTMX).status_code == 404
    source = Entry.objects.filter(pathway=imh).first()
    # bulk_create sends no signals, so the cache is not emptied: only the 404 not having
    # been cached lets the new pathway show.
    (pathway,) = Pathway.objects.bulk_create(
        [Pathway(title="New pathway", slug="new-pathway", status="published")]
    )
    Entry.objects.bulk_create(
        [
            Entry(
                pathway=pathway,
                position=10,
                stage=source.stage,
                age_band=source.age_band,
                service=source.service,
                rationale="Now published.",
                status="published",
            )
        ]
    )
    response = client.get("/pathways/new-pathway/", headers=HTMX)
    assert response.status_code == 200
    assert "Now published." in response.content.decode()


def test_a_broken_cache_costs_nothing_but_speed(client, imh, settings, tmp_path, caplog):
    # Say the directory was set to somewhere the app cannot write: here, an ordinary file.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.CACHES = {
        **settings.CACHES,
        "fragments": {**settings.CACHES["fragments"], "LOCATION": str(blocked)},
    }
    for built_with in (BUILT, REBUILT):
        response, queries = fetch(client)
        assert response.status_code == 200
        assert queries == built_with
    entry = Entry.objects.filter(pathway=imh).first()
    entry.save()  # the edit is saved all the same
    assert "Fragment cache unwritable" in caplog.text


def test_an_editors_preview_is_never_shared(client, imh, editor):
    """Editors see drafts; what they are shown must never be kept for practitioners."""
    source = Entry.objects.get(pathway=imh, position=10)
    Entry.objects.create(
        pathway=imh,
        position=15,
        stage=source.stage,
        age_band=source.age_band,
        service=source.service,
        rationale="Unapproved draft wording.",
    )
    client.force_login(editor)
    preview = client.get(IMH_URL, {"service": "health-visiting"}, headers=HTMX)
    assert "Unapproved draft wording." in preview.content.decode()
    client.logout()
    public = client.get(IMH_URL, {"service": "health-visiting"}, headers=HTMX)
    assert "Unapproved draft wording." not in public.content.decode()
    assert "Showing 13 of 19 rationales" in public.content.decode()


def test_history_restore_gets_the_whole_page_even_when_a_fragment_is_kept(client, imh):
    fetch(client)
    response = client.get(
        IMH_URL + "?service=primary-care-gp",
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()
