"""Public URLs: the home page, a pathway's browser and its changes, a context document."""

from django.urls import path

from . import views

app_name = "pathways"

urlpatterns = [
    path("", views.home, name="home"),
    path("pathways/<slug:slug>/", views.pathway_browser, name="browser"),
    path("pathways/<slug:slug>/checklist/", views.pathway_checklist, name="checklist"),
    path("pathways/<slug:slug>/changes/", views.pathway_changes, name="changes"),
    path("documents/<slug:slug>/", views.document_detail, name="document"),
]
