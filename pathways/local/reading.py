"""The readers' one door to local content: which area an address asks for, and that area's
directory as every surface shows it (the page, fragment, checklist, CSV, API, FHIR, CDS Hooks
cards and the offline copy all call these, so what counts as shown is decided once).

The area travels in the address (`?area=<slug>`), never in a cookie: an area's page is as
shareable and HTTP-cacheable as the national one, and without an area nothing here is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from ..models import Entry, Service, Tag
from ..operations.caching import kept
from ..publishing import review_is_overdue
from .models import EXAMPLE, Area, LocalNote, LocalService, verification_status

AREA = "area"


@dataclass(frozen=True)
class AreaShown:
    pk: int
    slug: str
    name: str


@dataclass(frozen=True)
class AreaChoice:
    """What an address asked for: a published area, or none (and the words it gave, when they
    name no published area, for the page's "not recognised" notice)."""

    area: AreaShown | None = None
    unrecognised: str = ""

    @property
    def notice(self) -> str:
        if not self.unrecognised:
            return ""
        return f"Area: “{self.unrecognised}” was not recognised, so no local services are shown."


@dataclass(frozen=True)
class ServiceShown:
    """A local service as readers see it: plain values, so a directory can be kept."""

    pk: int
    slug: str
    name: str
    offers: str
    referral_route: str
    referral_form_url: str
    referral_phone: str
    referral_email: str
    who_may_refer: str
    eligibility: str
    hours: str
    address: str
    web_url: str
    last_verified: date | None
    next_verification_due: date | None
    is_example: bool
    is_draft: bool
    entry_ids: frozenset[int]
    service_ids: frozenset[int]
    tag_ids: frozenset[int]
    served_entries: tuple[tuple[str, int], ...] = ()  # (pathway slug, number), for data
    served_services: tuple[str, ...] = ()  # slugs
    served_tags: tuple[str, ...] = ()  # slugs

    example_words = EXAMPLE

    @property
    def offers_paragraphs(self) -> list[str]:
        return [p.strip() for p in self.offers.split("\n\n") if p.strip()]

    @property
    def summary(self) -> str:
        """What it offers, in its first line."""
        return self.offers.strip().splitlines()[0] if self.offers.strip() else ""

    @property
    def is_verification_overdue(self) -> bool:
        # Worked out when read, never kept: a kept directory never says yesterday's.
        return review_is_overdue(self.next_verification_due)

    @property
    def verification_status(self) -> str:
        return verification_status(self.last_verified, self.next_verification_due)

    def serves(self, entry) -> bool:
        """The one rule for which services show beside an entry: named for the entry, or for
        its service, or for its tag."""
        return (
            entry.pk in self.entry_ids
            or entry.service_id in self.service_ids
            or entry.tag_id in self.tag_ids
        )


@dataclass(frozen=True)
class NoteShown:
    entry_id: int
    text: str
    is_draft: bool = False

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.split("\n\n") if p.strip()]


@dataclass(frozen=True)
class LocalForEntry:
    services: tuple[ServiceShown, ...]
    note: NoteShown | None

    def __bool__(self) -> bool:
        return bool(self.services or self.note)


@dataclass(frozen=True)
class LocalDirectory:
    area: AreaShown
    services: tuple[ServiceShown, ...] = ()
    notes: dict[int, NoteShown] = field(default_factory=dict)

    def for_entry(self, entry) -> LocalForEntry:
        """The area's services that serve `entry`, in directory order, and its note on it."""
        return LocalForEntry(
            services=tuple(s for s in self.services if s.serves(entry)),
            note=self.notes.get(entry.pk),
        )

    def serving(self, entries) -> list[ServiceShown]:
        """Each service serving any of `entries`, once, in directory order (the checklist's
        contacts to hand over)."""
        entries = list(entries)
        return [s for s in self.services if any(s.serves(e) for e in entries)]


def published_areas(version: str | None) -> list[AreaShown]:
    """The areas readers may choose, in list order."""

    def build():
        return [
            AreaShown(a.pk, a.slug, a.name)
            for a in Area.objects.published().only("pk", "slug", "name")
        ]

    return kept("areas", build, version)


def chosen_area(params, version: str | None) -> AreaChoice:
    """The published area an address names with `area=`, if any. An empty value is no area;
    a value naming no published area is none too, reported as not recognised."""
    slug = (params.get(AREA) or "").strip()
    if not slug:
        return AreaChoice()
    for area in published_areas(version):
        if area.slug == slug:
            return AreaChoice(area)
    return AreaChoice(unrecognised=slug[:60])


def area_named(slug: str, version: str | None) -> AreaShown | None:
    """The published area with this slug, or None."""
    return next((a for a in published_areas(version) if a.slug == slug), None)


def _service_shown(service: LocalService) -> ServiceShown:
    entries = list(service.serves_entries.all())
    services = list(service.serves_services.all())
    tags = list(service.serves_tags.all())
    return ServiceShown(
        pk=service.pk,
        slug=service.slug,
        name=service.name,
        offers=service.offers,
        referral_route=service.referral_route,
        referral_form_url=service.referral_form_url,
        referral_phone=service.referral_phone,
        referral_email=service.referral_email,
        who_may_refer=service.who_may_refer,
        eligibility=service.eligibility,
        hours=service.hours,
        address=service.address,
        web_url=service.web_url,
        last_verified=service.last_verified,
        next_verification_due=service.next_verification_due,
        is_example=service.is_example,
        is_draft=service.is_draft,
        entry_ids=frozenset(e.pk for e in entries),
        service_ids=frozenset(s.pk for s in services),
        tag_ids=frozenset(t.pk for t in tags),
        served_entries=tuple(sorted((e.pathway.slug, e.number) for e in entries)),
        served_services=tuple(sorted(s.slug for s in services)),
        served_tags=tuple(sorted(t.slug for t in tags)),
    )


def _build_directory(area: AreaShown, user=None) -> LocalDirectory:
    # Links reach readers only to what they may see: published entries of published pathways,
    # and the options those use (a draft's number is never named through a service).
    entries = (
        Entry.objects.visible_to(user)
        .select_related("pathway")
        .only("pk", "number", "pathway__slug")
    )
    services = (
        LocalService.objects.visible_to(user)
        .filter(area_id=area.pk)
        .prefetch_related(
            Prefetch("serves_entries", queryset=entries),
            Prefetch("serves_services", queryset=Service.objects.only("pk", "slug")),
            Prefetch("serves_tags", queryset=Tag.objects.only("pk", "slug")),
        )
        .order_by("name", "pk")
    )
    notes = (
        LocalNote.objects.visible_to(user)
        .filter(area_id=area.pk)
        .only("entry_id", "text", "status")
    )
    return LocalDirectory(
        area=area,
        services=tuple(_service_shown(s) for s in services),
        notes={n.entry_id: NoteShown(n.entry_id, n.text, n.is_draft) for n in notes},
    )


def directory(area: AreaShown, version: str | None, user=None) -> LocalDirectory:
    """An area's directory and notes as readers see them (published only), kept for the
    content version; for staff previewing (no version), built afresh with drafts."""
    return kept(f"local:{area.pk}", lambda: _build_directory(area, user), version)
