"""Offline use on home visits: the web app manifest and the service worker."""
