"""What pages keep in the pages cache per content version (the pathway with its notes, the
filter options, the count, the cards), that a content change is never hidden by it, and that
nothing kept holds a queryset or anything else of a request."""

import re
import threading
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import redis
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import OperationalError, connection
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext

from pathways.models import Entry, Pathway
from pathways.operations import caching
from pathways.publishing import state_of, submit

from ..conftest import HTMX, IMH_URL
from ..pagetext import visible_lines
from .test_http_caching import directives

FILTERED = IMH_URL + "?service=primary-care-gp"
# The queries that build the page or fragment (tests/test_views.py), the glossary (with the
# content's words that search's compounds are found in) and the timeline's bars included
# (this page has no "as above" entry, whose repeated interventions would be one more). The
# fragment shows no related pathways, so it never reads them.
BUILT = 11
# With a content version to reuse under, the first request also reads the age bands the
# pathway's entries use: a child's age counts by the bands that hold it (filters.meaning).
FIRST = BUILT + 1
# Once built for the content version, the pathway, its notes, the filter options, the count
# and the cards are reused: a new selection costs the entries' query alone...
REBUILT = 1
# ...and a selection made before (another address for it included) none.
REPEATED = 0


def fetch(client, url=FILTERED, headers=HTMX):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


def test_a_repeated_fragment_is_built_from_what_was_kept(client, imh):
    first, built_with = fetch(client)
    again, served_with = fetch(client)
    assert (built_with, served_with) == (FIRST, REPEATED)
    assert again.content == first.content
    # PRODUCT.md "Caching": an anonymous answer varies on HX-Request and Accept-Encoding alone;
    # signed-in people are never served a shared fragment (their requests carry a session:
    # docs/deploy.md).
    assert again["Vary"] == "HX-Request, Accept-Encoding"
    assert "Showing 1 of 19 rationales" in again.content.decode()


def test_a_new_url_reuses_the_cards_built_for_another(client, imh):
    # Every card, as a filtered page shows it (the unfiltered page's cards also carry the
    # words offline.js searches, so they are kept apart).
    every_service = "service=health-visiting&service=childrens-centres-eyfs&service=primary-care-gp"
    fetch(client, IMH_URL + "?" + every_service)
    other, queries = fetch(client, IMH_URL + "?age=10w&service=health-visiting")
    assert queries == REBUILT
    assert "Showing 2 of 19" in other.content.decode()


def test_each_url_gets_its_own_entries(client, imh):
    fetch(client)
    other, queries = fetch(client, IMH_URL + "?service=health-visiting")
    # The cards not built yet: their entries whole, their interventions, and those of the
    # entries they repeat (the 3 - 5 years follow-up is "as above" the 1 - 3 years one).
    assert queries == REBUILT + 3
    assert "Showing 1 of 19" not in other.content.decode()
    assert "Showing 13 of 19" in other.content.decode()


def test_full_pages_reuse_the_same_parts(client, imh):
    fetch(client, headers={})
    page, queries = fetch(client, headers={})
    assert queries == REPEATED
    assert "<html" in page.content.decode()


def test_children_whose_ages_share_bands_share_a_selection(client, imh):
    # 9 and 11 weeks are both in "8 weeks - 6 months" and "Birth - 5 years" alone: two
    # addresses, one selection, one query; 7 weeks (also "3 - 8 weeks") is another.
    every_service = "service=health-visiting&service=childrens-centres-eyfs&service=primary-care-gp"
    fetch(client, IMH_URL + "?" + every_service)  # every card built
    assert fetch(client, IMH_URL + "?age=9w")[1] == REBUILT
    other, queries = fetch(client, IMH_URL + "?age=11w&service=")
    assert queries == REPEATED
    younger, younger_queries = fetch(client, IMH_URL + "?age=7w")
    assert younger_queries == REBUILT
    assert "11 weeks" in other.content.decode()
    count = re.compile(r"Showing (\d+) of 19")
    shown = int(count.search(other.content.decode())[1])
    assert shown == Entry.objects.published().filter(pathway=imh).for_ages([77]).count()
    assert int(count.search(younger.content.decode())[1]) == (
        Entry.objects.published().filter(pathway=imh).for_ages([49]).count()
    )


def test_children_who_share_a_selection_get_their_own_marks_and_lines(client, imh):
    # A term baby of 9 weeks and a baby of 16 weeks born at 36 weeks (corrected age 12 weeks)
    # share a selection: the same bands hold their ages, so the rows and the timeline's lanes
    # are kept once. Only the second's results are marked with the age they apply at, and
    # each page draws its own child's lines.
    term, _ = fetch(client, IMH_URL + "?age=9w")
    early, queries = fetch(client, IMH_URL + "?age=16w&born_at_weeks=36")
    assert queries == REPEATED
    term_text = visible_lines(term.content.decode(), within_id="results")
    early_text = visible_lines(early.content.decode(), within_id="results")
    assert not [line for line in term_text if "Applies at" in line]
    marks = [line for line in early_text if "Applies at" in line]
    assert marks and all("both actual and corrected age" in line for line in marks)
    assert len(marks) == len(Entry.objects.published().filter(pathway=imh).for_ages([112]))
    figure = visible_lines(early.content.decode(), within_id="timeline")
    assert "Actual age 16w; Corrected age 12w." in figure
    assert "Child's age 9w." in visible_lines(term.content.decode(), within_id="timeline")


def test_each_selection_links_the_timeline_to_its_own_cards(client, imh):
    # The lanes are kept per selection: a bar links to its card on this page when the card is
    # shown, else to the unfiltered page. Primary care and health visiting share no card.
    def linked_here(response) -> set[str]:
        html = response.content.decode()
        figure = html[html.index('<figure class="timeline"') : html.index("</figure>")]
        return set(re.findall(r'href="#entry-(\d+)"', figure))

    gp = linked_here(fetch(client, FILTERED)[0])
    hv = linked_here(fetch(client, IMH_URL + "?service=health-visiting")[0])
    assert gp and hv and not gp & hv
    gp_numbers = Entry.objects.published().filter(service__slug="primary-care-gp")
    assert gp <= {str(number) for number in gp_numbers.values_list("number", flat=True)}


def kept_objects(values):
    """Everything reachable from the kept values: inside containers and objects' attributes,
    a model's related objects and the rows prefetched for it (which Django keeps as an
    evaluated queryset: data, passed through, not kept as a query)."""
    seen, stack = set(), list(values)
    while stack:
        thing = stack.pop()
        if id(thing) in seen or isinstance(thing, str | bytes | int | float | bool | None):
            continue
        seen.add(id(thing))
        yield thing
        if isinstance(thing, Model):
            attributes = dict(vars(thing))
            prefetched = attributes.pop("_prefetched_objects_cache", {})
            stack.extend(row for rows in prefetched.values() for row in rows)
            stack.extend(attributes.values())
        elif isinstance(thing, dict):
            stack.extend(thing.values())
        elif isinstance(thing, list | tuple | set | frozenset):
            stack.extend(thing)
        elif hasattr(thing, "__dict__") and not isinstance(thing, QuerySet):
            stack.extend(vars(thing).values())


def of_a_request(thing) -> bool:
    """A queryset (a query made for one request's user), or the request and its user."""
    return isinstance(thing, QuerySet | HttpRequest | User | AnonymousUser)


def test_nothing_kept_in_a_process_holds_a_queryset_or_the_request(client, imh):
    pages = [IMH_URL, FILTERED, IMH_URL + "?age=9w", IMH_URL + "?q=baby", IMH_URL + "checklist/"]
    for url in pages:
        for headers in (HTMX, {}):
            assert client.get(url, headers=headers).status_code == 200
    kept = list(caches["pages"].local.values())
    assert len(kept) > 40  # the pathway, its cards, the kept parts of its templates...
    assert not [thing for thing in kept_objects(kept) if of_a_request(thing)]


def test_a_queryset_kept_in_a_process_would_be_found(client, imh):
    """The check above finds a queryset wherever it is kept (as `entries-shown` once was)."""
    client.get(FILTERED)
    pages = caches["pages"]
    pages.set("entries-shown", Entry.objects.published(), version="v")
    kept = list(pages.local.values())
    assert [thing for thing in kept_objects(kept) if of_a_request(thing)]


def test_each_process_keeps_objects_in_front_of_the_shared_cache(client, imh):
    """The per-process tier answers with the object itself; another process, finding it in
    the shared cache only, gets a copy."""
    pages = caches["pages"]
    notes = {"title": "A part"}
    pages.set("part", notes, version="v1")
    assert pages.get("part", version="v1") is notes
    assert pages.get("part", version="v2") is None
    pages.local.clear()  # another process: the shared cache alone holds it
    assert pages.get("part", version="v1") == notes
    assert caching.RELEASE in next(iter(pages.local))  # markup of one release for it alone


def test_the_no_cache_fixture_builds_everything(client, imh, nothing_reused):
    fetch(client)
    assert fetch(client)[1] == BUILT


def test_a_search_marks_its_own_cards_in_the_same_queries(client, imh):
    fetch(client, IMH_URL)
    response, queries = fetch(client, IMH_URL + "?q=baby")
    # No card is reused (they carry this search's marks), and none costs a query of its own:
    # the entries, their interventions and those they repeat; on SQLite, first the entries'
    # and interventions' words the search matches in Python; on PostgreSQL, which matches the
    # words in the query, first the services' and tags' names, which it matches in Python.
    search_reads = 1 if connection.vendor == "postgresql" else 2
    assert queries == REBUILT + 2 + search_reads
    assert "<mark>" in response.content.decode()
    plain, _ = fetch(client, IMH_URL)
    assert "<mark>" not in plain.content.decode()


def test_an_edit_is_served_at_once(client, imh):
    fetch(client)
    entry = Entry.objects.get(pathway=imh, service__slug="primary-care-gp")
    entry.rationale = "Facilitate joint working, as reviewed."
    entry.save()
    response, queries = fetch(client)
    assert queries == FIRST
    assert "Facilitate joint working, as reviewed." in response.content.decode()


def test_a_deletion_is_served_at_once(client, imh):
    fetch(client)
    Entry.objects.get(pathway=imh, service__slug="primary-care-gp").delete()
    response, _ = fetch(client)
    assert "There are no rationales that match your filters." in response.content.decode()
    assert "Showing 0 of 18 rationales" in response.content.decode()


def test_every_kind_of_content_change_gives_a_new_version(client, imh):
    parental = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
    changes = [
        lambda: imh.reading_notes.first().save(),
        lambda: imh.entries.first().interventions.first().save(),
        lambda: imh.related_pathways.remove(parental),  # a many-to-many link
        lambda: parental.delete(),
    ]
    for change in changes:
        fetch(client)
        version = caching.content_version()
        change()
        assert caching.content_version() != version
        assert fetch(client)[1] == FIRST


def test_problem_reports_are_not_content(client, imh):
    version = caching.content_version()
    client.post(IMH_URL + "entries/10/report/", {"text": "Unclear."})
    assert caching.content_version() == version


def test_errors_are_not_kept(client, imh):
    assert client.get("/pathways/new-pathway/", headers=HTMX).status_code == 404
    source = Entry.objects.filter(pathway=imh).first()
    # bulk_create sends no signals, so the version stays: only the 404 not having been kept
    # lets the new pathway show.
    (pathway,) = Pathway.objects.bulk_create(
        [Pathway(title="New pathway", slug="new-pathway", status="published")]
    )
    Entry.objects.bulk_create(
        [
            Entry(
                pathway=pathway,
                position=10,
                number=10,
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
    # Say the built parts' cache was set to somewhere the app cannot write: an ordinary file.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(blocked),
        },
    }
    for expected in (FIRST, REPEATED):  # the worker still reuses what it built itself
        response, queries = fetch(client)
        assert response.status_code == 200
        assert queries == expected
        assert "Showing 1 of 19 rationales" in response.content.decode()
    entry = Entry.objects.filter(pathway=imh).first()
    entry.save()  # the edit is saved all the same
    assert "Cache 'shared' unwritable" in caplog.text


def test_a_stopped_redis_costs_nothing_but_speed(client, imh, settings, caplog):
    from ..relay import closed_port

    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_URL = url
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    for headers in (HTMX, {}):
        response, queries = fetch(client, headers=headers)
        assert response.status_code == 200
        assert queries <= FIRST  # what this worker built it still reuses
        assert "ETag" in response  # the version comes from the database
        assert "Showing 1 of 19 rationales" in response.content.decode()
    entry = Entry.objects.filter(pathway=imh).first()
    entry.rationale = "Saved while Redis is stopped."
    entry.save()
    assert "Saved while Redis is stopped." in fetch(client, IMH_URL)[0].content.decode()
    assert "Cache 'shared' unreadable, pages are built afresh" in caplog.text


class StallingCache(LocMemCache):
    """A cache in memory that fails as a stalled Redis does (a timeout) while `stalled`."""

    stalled = False

    def _stall(self):
        if StallingCache.stalled:
            raise redis.exceptions.TimeoutError("Timeout reading from socket")


def _stalling(method):
    def stalling(self, *args, **kwargs):
        self._stall()
        return method(self, *args, **kwargs)

    return stalling


for _name in ("add", "get", "set", "get_many", "set_many", "delete", "clear", "has_key"):
    setattr(StallingCache, _name, _stalling(getattr(LocMemCache, _name)))


class Clock:
    """time.monotonic() for caching, moved on by the test instead of by sleeping."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def stalling_redis(settings, monkeypatch, tmp_path):
    """Every cache the app shares through Redis, as a StallingCache, and a clock to move.
    "content_version" is where the version lived before issue 21: the tests read the same
    against that design, and fail there."""
    stalling = "tests.operations.test_caching.StallingCache"
    settings.CACHES = {
        **settings.CACHES,
        **{
            alias: {"BACKEND": stalling, "LOCATION": str(tmp_path / alias), "TIMEOUT": None}
            for alias in ("content_version", "shared")
        },
    }
    clock = Clock()
    monkeypatch.setattr(caching, "time", SimpleNamespace(monotonic=clock.monotonic))
    monkeypatch.setattr(StallingCache, "stalled", False)
    caching.forget_version()  # held by the real clock's time
    return clock


@contextmanager
def on_another_server():
    """Runs the block as another app server does: the worker whose pages the test reads
    takes no part in it, and keeps the version it has read."""
    mine = getattr(caching, "_held", None)
    caching._held = threading.local()
    try:
        yield
    finally:
        caching._held = mine


def unpublish_on_another_server(entry) -> None:
    with on_another_server():
        entry.status = "draft"
        entry.save()


def test_an_unpublishing_during_a_redis_stall_reaches_every_worker_within_the_bound(
    client, imh, settings, stalling_redis
):
    # Issue 21, defect 5: Redis paused, the workers back off, a publisher unpublishes an
    # entry; Redis resumes. The old page was still served 2 minutes later.
    entry = Entry.objects.get(pathway=imh, service__slug="primary-care-gp")
    assert entry.rationale in fetch(client)[0].content.decode()
    StallingCache.stalled = True
    stalling_redis.advance(0.1)
    assert fetch(client)[0].status_code == 200  # the worker backs off Redis
    unpublish_on_another_server(entry)
    StallingCache.stalled = False
    stalling_redis.advance(settings.CONTENT_VERSION_SECONDS)
    for _ in range(3):
        response, _ = fetch(client)
        assert entry.rationale not in response.content.decode()
        assert "of 18 rationales" in response.content.decode()
        stalling_redis.advance(60)  # past the back-off, and two minutes on


def test_a_redis_restart_that_drops_everything_loses_no_change(
    client, imh, settings, stalling_redis
):
    entry = Entry.objects.get(pathway=imh, service__slug="primary-care-gp")
    assert entry.rationale in fetch(client)[0].content.decode()
    StallingCache.stalled = True  # Redis goes down...
    stalling_redis.advance(0.1)
    fetch(client)
    unpublish_on_another_server(entry)
    for alias in ("content_version", "shared"):
        LocMemCache.clear(caches[alias])  # ...and comes back empty
    StallingCache.stalled = False
    stalling_redis.advance(settings.CONTENT_VERSION_SECONDS)
    for _ in range(2):
        assert entry.rationale not in fetch(client)[0].content.decode()
        stalling_redis.advance(60)


def test_a_redis_restart_with_older_data_loses_no_change(client, imh, settings, stalling_redis):
    # docs/deploy.md asked the operator to flush a Redis that came back with its old data.
    entry = Entry.objects.get(pathway=imh, service__slug="primary-care-gp")
    assert entry.rationale in fetch(client)[0].content.decode()
    saved = {alias: dict(caches[alias]._cache) for alias in ("content_version", "shared")}
    unpublish_on_another_server(entry)
    for alias, data in saved.items():  # Redis restarts from the snapshot it took before
        caches[alias]._cache.clear()
        caches[alias]._cache.update(data)
    stalling_redis.advance(settings.CONTENT_VERSION_SECONDS)
    assert entry.rationale not in fetch(client)[0].content.decode()


def test_a_write_skipped_while_redis_is_left_alone_is_logged(client, imh, stalling_redis, caplog):
    fetch(client)
    StallingCache.stalled = True
    fetch(client, IMH_URL + "?service=health-visiting")
    StallingCache.stalled = False
    caplog.clear()
    stalling_redis.advance(1)  # within the back-off: Redis is not tried
    response, _ = fetch(client, IMH_URL + "?stage=birth-6-weeks")
    assert response.status_code == 200
    skipped = [r for r in caplog.records if r.name == "pathways.caching"]
    assert skipped and {r.levelname for r in skipped} == {"WARNING"}
    assert "Cache 'shared' left alone after a failure, nothing kept there" in caplog.text


def test_a_change_whose_version_cannot_be_written_is_not_saved(client, imh, editor, caplog):
    """The version is bumped in the change's own transaction: if the bump fails, so does the
    change, and the editor is told it was not saved."""
    from ..editing.test_admin import change_form_data

    entry = Entry.objects.get(pathway=imh, service__slug="primary-care-gp")
    entry.status = "draft"
    entry.save()
    client.force_login(editor)
    data = change_form_data(entry, rationale="A change whose version cannot be written.")

    def refuse_version_writes(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "pathways_contentversion" in sql:
            raise OperationalError("could not write the content version")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_version_writes):
        response = client.post(f"/admin/pathways/entry/{entry.pk}/change/", data)
    assert response.status_code == 503
    assert "Your change was not saved." in response.content.decode()
    entry.refresh_from_db()
    assert entry.rationale != "A change whose version cannot be written."
    assert "could not write the content version" in caplog.text


def test_the_version_is_read_again_after_the_bound(client, imh, settings, stalling_redis):
    """A worker reads the version from the database at most once per bound: one query."""
    fetch(client)
    with on_another_server():
        caching.bump_content_version()
    assert fetch(client)[1] == REPEATED  # within the bound: the version it holds
    stalling_redis.advance(settings.CONTENT_VERSION_SECONDS)
    assert fetch(client)[1] == 1 + FIRST  # the version, then the page built for it


def test_with_the_database_stopped_built_pages_are_served_within_the_bound(
    client, imh, settings, stalling_redis, switch_database
):
    from ..conftest import serve
    from ..relay import closed_port

    assert "Showing 1 of 19 rationales" in fetch(client, headers={})[0].content.decode()
    switch_database.point_at(closed_port())
    stalling_redis.advance(settings.CONTENT_VERSION_SECONDS / 2)
    answer = serve(FILTERED)
    assert answer.status == 200
    assert "Showing 1 of 19 rationales" in answer.text
    stalling_redis.advance(settings.CONTENT_VERSION_SECONDS)
    assert serve(FILTERED).status == 503


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


def test_history_restore_gets_the_whole_page(client, imh):
    fetch(client)
    response = client.get(
        IMH_URL + "?service=primary-care-gp",
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    )
    assert "<html" in response.content.decode()


def test_what_is_kept_for_one_host_never_answers_another(client, imh, settings):
    # Issue 16, defect 8: the share link is built from the Host header, so nothing the app
    # keeps for reuse (the content version's built parts) may hold it.
    settings.ALLOWED_HOSTS = ["pathways.example.nhs.uk", "staging.example.nhs.uk"]
    for host, other in [("pathways", "staging"), ("staging", "pathways"), ("pathways", "staging")]:
        page = client.get(FILTERED, headers={**HTMX, "Host": f"{host}.example.nhs.uk"})
        text = page.content.decode()
        assert f'href="http://{host}.example.nhs.uk/pathways/infant-mental-health/?service=' in text
        assert f"{other}.example.nhs.uk" not in text


# An area's pages (issue 25): shared like the national ones, each area under its own ETag. --

AREA_PAGES = [
    ("page", IMH_URL + "?{area}", {}),
    ("fragment", IMH_URL + "?{area}&age=2w", HTMX),
    ("checklist", IMH_URL + "checklist/?{area}&age=2w", {}),
    ("home", "/?{area}", {}),
]


@pytest.mark.parametrize(("name", "url", "headers"), AREA_PAGES, ids=[p[0] for p in AREA_PAGES])
def test_an_areas_page_is_public_with_its_own_etag(
    client, example_area, second_area, name, url, headers
):
    etags = set()
    for area in ("area=north-example", "area=south-example", ""):
        address = url.format(area=area).replace("?&", "?").rstrip("?")
        response = client.get(address, headers=headers)
        assert response.status_code == 200
        assert "public" in directives(response) and "private" not in directives(response)
        assert "Set-Cookie" not in response.headers and not response.cookies
        assert response["Vary"] == "HX-Request, Accept-Encoding"  # exactly as without an area
        etags.add(response["ETag"])
        again = client.get(address, headers={**headers, "If-None-Match": response["ETag"]})
        assert again.status_code == 304 and again.content == b""
        head = client.head(address, headers=headers)
        assert head.status_code == 200 and head.content == b""
        assert head["ETag"] == response["ETag"]
    assert len(etags) == 3  # each area, and none, its own


def test_an_approved_local_change_gives_the_areas_page_a_new_etag(client, example_area):
    url = IMH_URL + "?area=north-example"
    before = client.get(url)
    service = example_area.services["perinatal-mental-health"]
    proposed = state_of(service)
    proposed["fields"]["referral_route"] = "Refer through the new online form."
    change = submit(service, proposed, user=example_area.editor)
    waiting = client.get(url, headers={"If-None-Match": before["ETag"]})
    assert waiting.status_code == 304  # nothing a reader gets changes before approval
    change.approve(example_area.publisher)
    after = client.get(url, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert "Refer through the new online form." in after.content.decode()


def test_area_cards_are_kept_apart_from_the_national_ones(client, example_area, second_area):
    """Each area's cards are kept under keys of their own: the national page, North's and
    South's, asked for in turn and again, each shows its own local block from what was kept."""
    pages = {}
    for area in ("", "north-example", "south-example"):
        pages[area] = client.get(IMH_URL + (f"?area={area}" if area else "")).content
    for area, content in pages.items():
        again, queries = fetch(client, IMH_URL + (f"?area={area}" if area else ""), headers={})
        assert again.content == content and queries == REPEATED
    assert b"North Example Perinatal" in pages["north-example"]
    assert b"North Example Perinatal" not in pages["south-example"] + pages[""]
