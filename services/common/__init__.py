"""The shared kit of every Rencai service: configuration, database, bus (outbox, relay,
idempotent consumer), token verification, problem errors, OpenAPI wiring and logging.

No business logic lives here: a rule about applications, units or people belongs to the
service that owns that data.
"""
