"""Top-level URLs: the public pathway pages, the JSON API and the editors' admin."""

from django.contrib import admin
from django.urls import include, path

from pathways.integration.api import api
from pathways.operations.accounts import StaffSignInForm

admin.site.site_header = "Pathway Navigator: editing"
admin.site.site_title = "Pathway Navigator editing"
admin.site.index_title = "Pathway content"
admin.site.login_form = StaffSignInForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("pathways.urls")),
]

# A database fault raised outside a view (a middleware reading the session after it) gets the
# outage page too, not a 500.
handler500 = "pathways.operations.outage.server_error"
