"""Top-level URLs: the public pathway pages, the JSON API and the editors' admin."""

from django.contrib import admin
from django.urls import include, path

from pathways.integration.api import api

admin.site.site_header = "Pathway Navigator: editing"
admin.site.site_title = "Pathway Navigator editing"
admin.site.index_title = "Pathway content"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("pathways.urls")),
]
