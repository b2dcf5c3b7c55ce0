"""Placing calls on Routee: the HTTP client (`client`), campaigns of one call
per CSV row (`campaign`) with their SQLite journal (`journal`), a call
followed to its outcome on Routee's tracking (`tracking`), one call looked
at or hung up by hand (`control`), redaction
of credentials in everything printed or stored (`redact`), and a local
stand-in for Routee's API that the tests and the docs' walk-throughs use
(`standin`, `python -m dialplan_compiler.calls.standin`)."""
