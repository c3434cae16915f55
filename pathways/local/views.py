"""Readers' pages of an area: its directory of services, and "Report a problem" on a service,
which the area's own staff are emailed about (never the reader's address)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ..models import Pathway, Service, Tag
from ..operations.caching import content_version
from ..operations.http_caching import shared_when_anonymous
from ..problem_reports.models import ProblemReport
from ..problem_reports.views import REPORTS_PER_HOUR, take_report
from .models import LocalService
from .reading import AreaShown, area_named, directory

logger = logging.getLogger("pathways.local")


def _area(request: HttpRequest, slug: str) -> AreaShown:
    area = area_named(slug, content_version(request))
    if area is None:
        raise Http404("No published area has this address.")
    return area


def served_names(services) -> dict:
    """What the directory's services serve, as readers read it: pathway titles, service and
    tag names, by slug (published ones only: the directory names nothing else)."""
    entries = {slug for s in services for slug, _ in s.served_entries}
    options = {s for service in services for s in service.served_services}
    tags = {t for service in services for t in service.served_tags}
    return {
        "pathways": dict(
            Pathway.objects.published().filter(slug__in=entries).values_list("slug", "title")
        ),
        "services": dict(Service.objects.filter(slug__in=options).values_list("slug", "name")),
        "tags": dict(Tag.objects.filter(slug__in=tags).values_list("slug", "name")),
    }


@require_safe
@shared_when_anonymous
def area_directory(request: HttpRequest, area: str) -> HttpResponse:
    """An area's published services in directory order, each with everything readers see of
    it and its own "Report a problem" link."""
    shown = _area(request, area)
    services = directory(shown, content_version(request)).services
    names = served_names(services)
    listed = [
        {
            "service": service,
            "entries": [
                (names["pathways"].get(slug, slug), slug, number)
                for slug, number in service.served_entries
            ],
            "services": [names["services"].get(s, s) for s in service.served_services],
            "tags": [names["tags"].get(t, t) for t in service.served_tags],
        }
        for service in services
    ]
    context = {"area": shown, "listed": listed}
    return render(request, "pathways/area_directory.html", context)


def reported_service(area: str, slug: str) -> tuple[AreaShown, LocalService]:
    """A published service of a published area, found as its directory lists it; 404 else."""
    shown = area_named(area, None)
    if shown is None:
        raise Http404("No published area has this address.")
    service = get_object_or_404(LocalService.objects.published(), area_id=shown.pk, slug=slug)
    return shown, service


def _report_context(area: AreaShown, service: LocalService) -> dict:
    back = reverse("pathways:area_directory", args=[area.slug]) + f"#service-{service.slug}"
    return {"area": area, "service": service, "back_url": back, "limit": REPORTS_PER_HOUR}


# never_cache: the form carries a CSRF token, so no shared cache or offline copy may keep it.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report_service_problem(request: HttpRequest, area: str, service: str) -> HttpResponse:
    shown, reported = reported_service(area, service)
    return take_report(
        request,
        _report_context(shown, reported),
        about={"local_service": reported},
        sent_url=reverse("pathways:report_service_problem_sent", args=[area, service]),
        templates="pathways/report_service_problem",
        then=tell_area_staff,
    )


@require_safe
def report_service_problem_sent(request: HttpRequest, area: str, service: str) -> HttpResponse:
    shown, reported = reported_service(area, service)
    return render(
        request, "pathways/report_service_problem_sent.html", _report_context(shown, reported)
    )


def area_staff_addresses(area_id: int) -> list[str]:
    """The addresses of the area's active staff (its local editors and publishers)."""
    users = get_user_model().objects.filter(
        area_memberships__area_id=area_id, is_active=True, is_staff=True
    )
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def tell_area_staff(report: ProblemReport) -> None:
    """Emails the area's staff that a reader reported a problem with one of its services: the
    service, the reader's words and the admin link, never the reader's address."""
    service = report.local_service
    if service is None:
        return  # a report on national content: its editors read the admin list
    name = Truncator(" ".join(service.name.split())).chars(80)  # one line: a header
    link = settings.SITE_URL + reverse("admin:pathways_problemreport_change", args=[report.pk])
    subject = f"A problem was reported with {name}"
    body = (
        f"A reader reported a problem with “{name}” in the directory of {service.area}.\n\n"
        f"What they wrote:\n\n{report.text}\n\n"
        f"Read it, and close it when it is dealt with: {link}\n\n"
        "You get this email as a member of staff of the area.\n"
    )
    # One message each, so nobody sees who else was told.
    for address in area_staff_addresses(service.area_id):
        try:
            send_mail(subject, body, None, [address])
        except OSError:
            # A mail server that is down must not fail the reader's report: it is saved.
            logger.exception("Could not email %s about problem report %s", address, report.pk)
