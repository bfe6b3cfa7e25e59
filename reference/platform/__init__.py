"""The platform library every reference architecture is built from, in rooms that say what
they hold: `model` (data, schema, training, export, registry), `explain` (attributions,
counterfactuals, global reports), `features` (the Feast repository), `serving` (auth, rate
limits, problems, admin routes, request models), `deploy` (processes, the broker, keys,
declarations), and the runtime governance: `monitoring`, `audit`, `alerting`,
`retraining`. Shipped data sits beside them: `datasets/`, `policies/`, `compliance/` and
`feature_schema.yaml`.
"""
