"""Local editors' room: areas (a health board or local authority), their directory of local
services and their notes on entries, added to the national pathway and never mixed into it."""
