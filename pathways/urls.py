"""Public URLs: the home page, a pathway's browser, checklist and changes, a context
document, the API and exports, offline files, and the health check."""

from django.urls import path

from . import exports, feedback, offline, views

app_name = "pathways"

urlpatterns = [
    path("", views.home, name="home"),
    path("pathways/<slug:slug>/", views.pathway_browser, name="browser"),
    path("pathways/<slug:slug>/checklist/", views.pathway_checklist, name="checklist"),
    path("pathways/<slug:slug>/changes/", views.pathway_changes, name="changes"),
    path("documents/<slug:slug>/", views.document_detail, name="document"),
    # The same entries as a spreadsheet; readers' problem reports; offline use.
    path("pathways/<slug:slug>/export.csv", exports.export_csv, name="export_csv"),
    path(
        "pathways/<slug:slug>/entries/<int:position>/report/",
        feedback.report_problem,
        name="report_problem",
    ),
    path(
        "pathways/<slug:slug>/entries/<int:position>/report/sent/",
        feedback.report_problem_sent,
        name="report_problem_sent",
    ),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("service-worker.js", offline.service_worker, name="service_worker"),
    path("healthz", views.healthz, name="healthz"),
    path("bench/trivial", views.bench_trivial, name="bench-trivial"),
]
