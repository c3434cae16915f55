"""Running the service: health check, outage page, sign-in security, client addresses and
the cache of rendered fragments."""
