"""Running the service: health check, outage page, sign-in security, client addresses, the
content version that pages reuse what they built under, and pages fit for HTTP caches."""
