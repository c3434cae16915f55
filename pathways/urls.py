"""Public URLs: the home page, a pathway's browser, a context document, the health check."""

from django.urls import path

from . import views

app_name = "pathways"

urlpatterns = [
    path("", views.home, name="home"),
    path("pathways/<slug:slug>/", views.pathway_browser, name="browser"),
    path("documents/<slug:slug>/", views.document_detail, name="document"),
    path("healthz", views.healthz, name="healthz"),
    path("bench/trivial", views.bench_trivial, name="bench-trivial"),
]
