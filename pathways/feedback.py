"""Readers report a problem with an entry (wrong, out of date, unclear) to the editors: a
plain form per entry that needs no JavaScript, stored for the admin, and limited per client
so nobody can flood the editors' list."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from .models import Entry, Pathway, ProblemReport
from .public import public_entries, public_pathway

REPORTS_PER_HOUR = 5
HOUR = 60 * 60


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


def client_address(request: HttpRequest) -> str:
    """The client's IP address. Behind NUM_PROXIES trusted proxies, each of which appends the
    address it saw to X-Forwarded-For, it is that many entries from the end of the header."""
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _rate_key(request: HttpRequest) -> str:
    return f"problem-reports:{client_address(request)}"


def over_limit(request: HttpRequest) -> bool:
    return cache.get(_rate_key(request), 0) >= REPORTS_PER_HOUR


def count_report(request: HttpRequest) -> None:
    """Counts a stored report against the client; the count expires an hour after the first."""
    key = _rate_key(request)
    cache.add(key, 0, HOUR)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, HOUR)


def reported_entry(slug: str, position: int) -> tuple[Pathway, Entry]:
    """A public entry, found the way the pathway page lists it; 404 for anything else."""
    pathway = public_pathway(slug)
    return pathway, get_object_or_404(public_entries(pathway), position=position)


# never_cache: the form carries a CSRF token, so no shared cache or offline copy may keep it.
@never_cache
@require_http_methods(["GET", "POST"])
def report_problem(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    pathway, entry = reported_entry(slug, position)
    context = {"pathway": pathway, "entry": entry, "limit": REPORTS_PER_HOUR}
    if request.method == "POST":
        if over_limit(request):
            return render(request, "pathways/report_problem_limited.html", context, status=429)
        form = ProblemReportForm(request.POST)
        if form.is_valid():
            form.instance.entry = entry
            form.save()
            count_report(request)
            return redirect("pathways:report_problem_sent", slug=pathway.slug, position=position)
    else:
        form = ProblemReportForm()
    return render(request, "pathways/report_problem.html", {**context, "form": form})


@require_GET
def report_problem_sent(request: HttpRequest, slug: str, position: int) -> HttpResponse:
    pathway, entry = reported_entry(slug, position)
    return render(
        request, "pathways/report_problem_sent.html", {"pathway": pathway, "entry": entry}
    )
