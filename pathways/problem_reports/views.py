"""Readers report a problem with an entry or a local service (wrong, out of date, unclear) to
the editors (a service's to its area's staff: pathways.local.views): a plain form that needs
no JavaScript, stored for the admin, and limited per client so nobody can flood the editors'
list. The limit counts the stored reports themselves, so it holds whichever worker or app
server answers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from ..filters import canonical_query
from ..models import Entry, Pathway
from ..operations.clients import client_ip
from ..public import public_entries, public_pathway
from .models import ProblemReport

REPORTS_PER_HOUR = 5


class ProblemReportForm(forms.ModelForm):
    class Meta:
        model = ProblemReport
        fields = ["text", "email"]
        labels = {
            "text": "What is wrong with this content?",
            "email": "Your email address (optional)",
        }
        help_texts = {
            "text": "For example a mistake, something out of date, or something unclear.",
            "email": "Only if you would like an editor to reply to you.",
        }
        error_messages = {
            "text": {
                "required": "Enter what is wrong with this content.",
                "max_length": "Describe the problem in 2000 characters or fewer.",
            },
            "email": {"invalid": "Enter an email address like name@example.nhs.uk."},
        }


def client_key(request: HttpRequest) -> str:
    """The client's address, keyed with the secret key so the stored value reveals nothing."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, client_ip(request).encode(), hashlib.sha256).hexdigest()


def over_limit(request: HttpRequest) -> bool:
    """Whether this client has sent REPORTS_PER_HOUR reports in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    recent = ProblemReport.objects.filter(client=client_key(request), created_at__gte=since)
    return recent.count() >= REPORTS_PER_HOUR


def reported_entry(slug: str, number: int) -> tuple[Pathway, Entry]:
    """A public entry by its number, found the way the pathway page lists it; 404 for
    anything else."""
    pathway = public_pathway(slug)
    return pathway, get_object_or_404(public_entries(pathway), number=number)


# The longest pathway query a Back link carries: every filter of the page fits.
BACK_QUERY_LIMIT = 1000


def filters_came_from(request: HttpRequest, pathway: Pathway) -> str:
    """The pathway page's filters the reader came from, so Back returns to the same results:
    `from` (carried through the form and its answer pages), else the address of the page
    that linked here (the result cards are shared by every reader, so their links cannot
    carry anyone's filters). Only ever used in a link to the pathway's own page."""
    given = request.GET.get("from")
    if given is None:
        came_from = urlsplit(request.headers.get("Referer", ""))
        same_page = came_from.netloc == request.get_host()
        same_page = same_page and came_from.path == pathway.get_absolute_url()
        given = came_from.query if same_page else ""
    if len(given) > BACK_QUERY_LIMIT:
        return ""  # cut short, it could name other filters: the plain page instead
    return canonical_query(QueryDict(given))


def back_links(pathway: Pathway, entry: Entry, query: str) -> dict:
    suffix = f"?{query}" if query else ""
    return {
        "back_url": f"{pathway.get_absolute_url()}{suffix}#entry-{entry.number}",
        "keep_filters": f"?{urlencode({'from': query})}" if query else "",
    }


def take_report(
    request: HttpRequest,
    context: dict,
    *,
    about: dict,
    sent_url: str,
    templates: str,
    then: Callable[[ProblemReport], None] | None = None,
) -> HttpResponse:
    """The report form, for an entry or a local service (`about`: the report's field naming
    it): shown, or sent within the hourly limit, saved, and the reader sent to `sent_url`.
    `then` runs once the report is committed (the area's staff told of it). `templates` is
    the pages' common name: "<templates>.html" and "<templates>_limited.html"."""
    if request.method == "POST":
        if over_limit(request):
            return render(request, f"{templates}_limited.html", context, status=429)
        form = ProblemReportForm(request.POST)
        if form.is_valid():
            for name, value in about.items():
                setattr(form.instance, name, value)
            form.instance.client = client_key(request)
            report = form.save()
            if then is not None:
                transaction.on_commit(partial(then, report))
            return redirect(sent_url)
    else:
        form = ProblemReportForm()
    return render(request, f"{templates}.html", {**context, "form": form})


# never_cache: the form carries a CSRF token, so no shared cache or offline copy may keep it.
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report_problem(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    pathway, entry = reported_entry(slug, number)
    context = {
        "pathway": pathway,
        "entry": entry,
        "limit": REPORTS_PER_HOUR,
        **back_links(pathway, entry, filters_came_from(request, pathway)),
    }
    sent = reverse("pathways:report_problem_sent", args=[pathway.slug, number])
    return take_report(
        request,
        context,
        about={"entry": entry},
        sent_url=sent + context["keep_filters"],
        templates="pathways/report_problem",
    )


@require_safe
def report_problem_sent(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    pathway, entry = reported_entry(slug, number)
    context = {"pathway": pathway, "entry": entry}
    context |= back_links(pathway, entry, filters_came_from(request, pathway))
    return render(request, "pathways/report_problem_sent.html", context)
