"""Readers' pages of an area: its directory of services, and "Report a problem" on a service
(routed to the area's editors). Built by the directory-and-feedback part of issue 25."""

from __future__ import annotations

from django.http import Http404


def area_directory(request, area):
    raise Http404("Not built yet.")


def report_service_problem(request, area, service):
    raise Http404("Not built yet.")


def report_service_problem_sent(request, area, service):
    raise Http404("Not built yet.")
