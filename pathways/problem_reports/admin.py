"""Readers' problem reports in the admin, for editors to work through: an area's staff see the
reports about their area's services only; closing a report takes a resolution, which the
reader is emailed once if they left an address (then the address is forgotten)."""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from ..editing.admin.forms import LabelledRowsForm
from ..local.admin import AreaFilter
from ..local.scoping import areas_for
from .models import ProblemReport

logger = logging.getLogger("pathways.problem_reports")

DONE = ProblemReport.Status.DONE
NEEDS_RESOLUTION = (
    "Say what was done before closing the report (the resolution): the reader who sent it "
    "is told it."
)


class ClosingForm(LabelledRowsForm):
    """A report is closed (Done) only with a resolution: in the list's status boxes too, where
    the resolution is the one already saved."""

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status", self.instance.status)
        resolution = cleaned.get("resolution", self.instance.resolution) or ""
        if status == DONE and not resolution.strip():
            field = "resolution" if "resolution" in self.fields else "status"
            self.add_error(field, NEEDS_RESOLUTION)
        return cleaned


def about(report: ProblemReport) -> str:
    """What the report is about, in words: the service (and its area) or the entry."""
    if report.local_service_id is not None:
        service = report.local_service
        return f"{service.name} ({service.area.name})"
    return f"{report.entry.pathway.title}, entry {report.entry.number}"


def closing_message(report: ProblemReport) -> tuple[str, str]:
    """The email a reader gets when their report is closed: what it was about, when, and the
    resolution. Nothing else of theirs is repeated."""
    when = date_format(timezone.localtime(report.closed_at), "j F Y")
    # One line: an email header cannot carry a line break.
    subject = Truncator(" ".join(f"Your report about {about(report)} was closed".split()))
    body = (
        f"Your report about {about(report)} was closed on {when}: {report.resolution}\n\n"
        "Thank you for telling us. This address has now been deleted from the report.\n"
    )
    return subject.chars(150), body


def send_closing_email(report_id: int) -> bool:
    """Emails the reader that their report was closed, once: then records when, and forgets
    their address. A mail server that fails leaves the address for a retry (the admin's
    "Send closing emails again") and logs a warning."""
    with transaction.atomic():
        report = (
            ProblemReport.objects.select_for_update(of=("self",))
            .select_related("entry", "local_service__area")
            .filter(pk=report_id, status=DONE, notified_at__isnull=True)
            .exclude(email="")
            .first()
        )
        if report is None or report.closed_at is None:
            return False
        subject, body = closing_message(report)
        try:
            send_mail(subject, body, None, [report.email])
        except OSError:
            logger.warning("Could not email the reader that report %s was closed", report.pk)
            return False
        report.notified_at = timezone.now()
        report.email = ""
        report.save(update_fields=["notified_at", "email"])
    return True


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    """Readers' reports for editors to work through: filter by status, open what it is about,
    close it with a resolution."""

    form = ClosingForm
    list_display = ["created_at", "status", "summary", "about_link", "email"]
    list_display_links = ["created_at"]
    list_editable = ["status"]
    list_filter = ["status", ("local_service__area", AreaFilter), "entry__pathway"]
    list_select_related = ["entry__pathway", "local_service__area"]
    search_fields = ["text", "email", "entry__rationale", "local_service__name"]
    date_hierarchy = "created_at"
    fields = [
        "about_link",
        "admin_link",
        "text",
        "email",
        "created_at",
        "status",
        "resolution",
        "closed_at",
        "notified_at",
    ]
    readonly_fields = [
        "about_link",
        "admin_link",
        "text",
        "email",
        "created_at",
        "closed_at",
        "notified_at",
    ]
    actions = ["send_closing_emails_again"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        areas = areas_for(request.user)
        # An area's staff: the reports about their areas' services, never entry reports.
        return queryset if areas is None else queryset.filter(local_service__area__in=areas)

    def get_list_filter(self, request):
        if areas_for(request.user) is not None:
            return ["status", ("local_service__area", AreaFilter)]
        return super().get_list_filter(request)

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", ClosingForm)
        return super().get_changelist_form(request, **kwargs)

    def has_add_permission(self, request):
        # Reports come from readers through the public form, never from the admin.
        return False

    def save_model(self, request, obj, form, change):
        if obj.status == DONE and obj.closed_at is None:
            obj.closed_at = timezone.now()
        elif obj.status != DONE:
            obj.closed_at = None
        super().save_model(request, obj, form, change)
        if obj.status == DONE and obj.email and obj.notified_at is None:
            transaction.on_commit(lambda: self._tell(request, obj.pk))

    def _tell(self, request, report_id: int) -> None:
        if not send_closing_email(report_id):
            self.message_user(
                request,
                "The reader could not be emailed that the report is closed: try “Send closing "
                "emails again” later.",
                messages.WARNING,
            )

    @admin.action(description="Send closing emails again", permissions=["change"])
    def send_closing_emails_again(self, request, queryset):
        waiting = queryset.filter(status=DONE, notified_at__isnull=True).exclude(email="")
        ids = list(waiting.values_list("pk", flat=True))
        sent = sum(send_closing_email(pk) for pk in ids)
        level = messages.SUCCESS if sent == len(ids) else messages.WARNING
        self.message_user(request, f"{sent} of {len(ids)} closing emails sent.", level)

    @admin.display(description="what is wrong")
    def summary(self, report: ProblemReport) -> str:
        return Truncator(report.text).words(20)

    @admin.display(description="about")
    def about_link(self, report: ProblemReport) -> str:
        """The service or entry, linked to where readers see it."""
        if report.local_service_id is not None:
            area = report.local_service.area
            url = reverse("pathways:area_directory", args=[area.slug])
            url = f"{url}#service-{report.local_service.slug}"
            return format_html('<a href="{}">{}</a>', url, about(report))
        entry = report.entry
        url = f"{entry.pathway.get_absolute_url()}#entry-{entry.number}"
        return format_html('<a href="{}">{}</a>', url, Truncator(entry.rationale).words(12))

    @admin.display(description="edit it")
    def admin_link(self, report: ProblemReport) -> str:
        if report.local_service_id is not None:
            url = reverse("admin:pathways_localservice_change", args=[report.local_service_id])
            return format_html('<a href="{}">Change {}</a>', url, report.local_service.name)
        url = reverse("admin:pathways_entry_change", args=[report.entry_id])
        return format_html('<a href="{}">Change entry {}</a>', url, report.entry.number)
