"""An example area for tests and the docs' screenshots: "North Example", with three services
marked "Example, not a real service" and a note on one entry, put live through the gate: a
local editor writes drafts, a local publisher who wrote none of them publishes them. No real
service ships; these exist only in test databases."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from pathways.history import record_version
from pathways.local.models import Area, AreaMembership, LocalNote, LocalService
from pathways.models import Entry, Service, Tag
from pathways.publishing import publish

IMH = "infant-mental-health"
# The entry whose interventions include "Mental health admisisons to Mother and Baby Unit"
# (Birth - 6 weeks, Health Visiting).
MBU_ENTRY = 10
MBU_ROUTE = "Phone the perinatal mental health team's duty worker to discuss an admission."
PASSWORD = "a-long-enough-password"


@dataclass
class ExampleArea:
    area: Area
    editor: object  # a local editor of the area
    publisher: object  # a local publisher of the area
    services: dict[str, LocalService]
    note: LocalNote | None


def local_staff(username: str, area: Area, role: str):
    """A member of staff scoped to `area` (no national group)."""
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.nhs.uk", "is_staff": True}
    )
    user.set_password(PASSWORD)
    user.save()
    AreaMembership.objects.get_or_create(user=user, area=area, defaults={"role": role})
    return user


def _draft(model, author, serves=None, **fields):
    obj = model(**fields)
    obj._history_user = author
    obj.save()
    if serves:
        for name, values in serves.items():
            getattr(obj, name).set(values)
        obj._history_user = author
        record_version(obj)
    return obj


def service_fields(slug: str) -> dict:
    """Each example service's words, by slug (the docs name them too)."""
    return EXAMPLE_SERVICES[slug][0]


EXAMPLE_SERVICES = {
    "perinatal-mental-health": (
        {
            "name": "North Example Perinatal Mental Health Team",
            "offers": "Assessment and care for parents with serious mental illness in "
            "pregnancy and the first year, including admission with their baby to the Mother "
            "and Baby Unit.",
            "referral_route": MBU_ROUTE,
            "referral_phone": "0161 496 0000",
            "referral_email": "perinatal.team@example.nhs.uk",
            "who_may_refer": "Health visitors, midwives and GPs.",
            "eligibility": "Parents in pregnancy or with a baby under one year.",
            "hours": "Monday to Friday, 9:00 to 17:00",
            "address": "1 Example Road, North Example",
            "web_url": "https://example.org/perinatal",
        },
        {"serves_entries": "entries"},
    ),
    "postnatal-groups": (
        {
            "name": "North Example Postnatal Health Promotion Group",
            "offers": "Weekly groups for parents and babies at the children's centres.",
            "referral_route": "Parents may come without a referral; practitioners may book a "
            "place online.",
            "referral_form_url": "https://example.org/postnatal-groups/book",
        },
        {"serves_services": "childrens-centres-eyfs"},
    ),
    "gp-liaison": (
        {
            "name": "North Example Primary Care Liaison",
            "offers": "Advice for practices planning integrated care.",
            "referral_email": "liaison@example.nhs.uk",
        },
        {"serves_tags": "targeted-support"},
    ),
}


def make_example_area(
    national_publisher, *, slug="north-example", name="North Example", prefix="n"
) -> ExampleArea:
    """A published area with three published example services and a published note on the
    Mother and Baby Unit entry, each written by the area's local editor and published by its
    local publisher. `national_publisher` publishes the area itself (areas are national)."""
    area = _draft(Area, national_publisher, name=name, slug=slug)
    # The area is national content: another national person wrote it (None: as loaded).
    area._history_user = None
    record_version(area)
    publish(area, national_publisher)
    editor = local_staff(f"{prefix}-editor", area, "editor")
    publisher = local_staff(f"{prefix}-publisher", area, "publisher")
    mbu = Entry.objects.get(pathway__slug=IMH, number=MBU_ENTRY)
    services = {}
    for service_slug, (fields, serves) in EXAMPLE_SERVICES.items():
        links = {}
        for relation, value in serves.items():
            links[relation] = {
                "serves_entries": [mbu],
                "serves_services": list(Service.objects.filter(slug=value)),
                "serves_tags": list(Tag.objects.filter(slug=value)),
            }[relation]
        services[service_slug] = _draft(
            LocalService,
            editor,
            serves=links,
            area=area,
            slug=service_slug,
            is_example=True,
            **{**fields, "name": fields["name"].replace("North Example", name)},
        )
        publish(services[service_slug], publisher)
    note = _draft(
        LocalNote,
        editor,
        area=area,
        entry=mbu,
        text=f"In {name}, the Mother and Baby Unit takes admissions from the whole area "
        "(example, not a real service).",
    )
    publish(note, publisher)
    for obj in [*services.values(), note]:
        obj.refresh_from_db()
    return ExampleArea(area, editor, publisher, services, note)
