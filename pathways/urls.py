"""Every public URL, grouped by who uses it; the views live in the room of that name.
The JSON API is mounted in config/urls.py; the admin too."""

from django.urls import path

from .browsing import feeds, views
from .integration import cds_hooks, exports, fhir, fhir_server
from .local import views as local
from .offline import views as offline
from .operations import health
from .problem_reports import views as problem_reports

app_name = "pathways"

urlpatterns = [
    # Practitioners browsing.
    path("", views.home, name="home"),
    path("pathways/<slug:slug>/", views.pathway_browser, name="browser"),
    path("pathways/<slug:slug>/checklist/", views.pathway_checklist, name="checklist"),
    path("pathways/<slug:slug>/changes/", views.pathway_changes, name="changes"),
    path("pathways/<slug:slug>/changes/feed/", feeds.pathway_changes_feed, name="changes_feed"),
    path("documents/<slug:slug>/", views.document_detail, name="document"),
    # Other systems: the same entries as a spreadsheet (the JSON API is under /api/).
    path("pathways/<slug:slug>/export.csv", exports.export_csv, name="export_csv"),
    # Electronic records: FHIR R4 (read, search, $apply) and CDS Hooks (docs/integration.md).
    path("fhir/metadata", fhir_server.metadata, name="fhir_metadata"),
    path(
        f"fhir/CodeSystem/{fhir.CODE_SYSTEM_ID}",
        fhir_server.read,
        {"resource_type": "CodeSystem", "resource_id": fhir.CODE_SYSTEM_ID},
        name="fhir_code_system",
    ),
    path(
        "fhir/Library/<str:resource_id>",
        fhir_server.read,
        {"resource_type": "Library"},
        name="fhir_library",
    ),
    path("fhir/<str:resource_type>/<str:resource_id>/$apply", fhir_server.apply, name="fhir_apply"),
    path("fhir/<str:resource_type>/<str:resource_id>", fhir_server.read, name="fhir_read"),
    path("fhir/<str:resource_type>", fhir_server.search, name="fhir_search"),
    path("cds-services", cds_hooks.discovery, name="cds_discovery"),
    path("cds-services/<str:service_id>", cds_hooks.service, name="cds_service"),
    path("cds-services/<str:service_id>/feedback", cds_hooks.feedback, name="cds_feedback"),
    # Readers' problem reports.
    path(
        "pathways/<slug:slug>/entries/<int:number>/report/",
        problem_reports.report_problem,
        name="report_problem",
    ),
    path(
        "pathways/<slug:slug>/entries/<int:number>/report/sent/",
        problem_reports.report_problem_sent,
        name="report_problem_sent",
    ),
    # Local areas: an area's directory of services, and problems reported about a service.
    path("areas/<slug:area>/", local.area_directory, name="area_directory"),
    path(
        "areas/<slug:area>/services/<slug:service>/report/",
        local.report_service_problem,
        name="report_service_problem",
    ),
    path(
        "areas/<slug:area>/services/<slug:service>/report/sent/",
        local.report_service_problem_sent,
        name="report_service_problem_sent",
    ),
    # Offline use.
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("service-worker.js", offline.service_worker, name="service_worker"),
    path(
        "pathways/<slug:slug>/offline-<str:version>.json",
        offline.tables,
        name="offline_tables",
    ),
    # Operations.
    path("healthz", health.healthz, name="healthz"),
    path("bench/trivial", health.bench_trivial, name="bench-trivial"),
]
