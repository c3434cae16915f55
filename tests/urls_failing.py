"""The site's URLs plus a page that fails, to see what a visitor gets from a 500."""

from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def fail(request):
    raise RuntimeError("A bug the visitor must not see.")


urlpatterns = [*site_urlpatterns, path("fail/", fail)]
