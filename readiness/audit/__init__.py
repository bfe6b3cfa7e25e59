"""The readiness audit format: a tamper-evident store of what a system decided, and why.

A contract, like the descriptor: our reference systems write it and the assessment reads
and verifies it, and a team's own system may write it too. One SQLAlchemy store (a SQLite
file or a PostgreSQL URL) holds the prediction log, the deployment log, model lineage and
the store's own audit events; every one of those tables is a hash chain, so `verify` finds
an edited, deleted or inserted row and names the table and row.

Modules, one job each: `tables` (the schema), `encoding` (the bytes a row's hash covers),
`store` (opening it; serialised write transactions), `chain` (appending), `events`,
`verify`. The policies that write it (PII, retention, export, lineage) are the reference
platform's (`reference.platform.audit`).
"""
