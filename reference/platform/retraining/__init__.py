"""Automated retraining: a trigger fires, a challenger is trained, judged against the
champion offline and in shadow, and promoted through the approval gate only if it is as
good and fair; otherwise the champion stays and an alert says why. Every step is recorded
in MLflow and the deployment log.

Modules, one job each: `triggers` (what fired, with its evidence; the schema check),
`policy` (the gates as data, `policies/retraining.yaml`), `offline` (both on the same
held-out rows, and the offline checks), `admin` (the deployment's admin API through its
target descriptor),
`shadow` (shadow mode and its checks), `outcome` (the decision and the result object),
`alerts` (a refusal as a page or ticket), `journal` (MLflow run and deployment log),
`pipeline` (`retrain`, the composition root),
`launcher` (the alert action's retrainer: `readiness retrain` as a process).

Nothing is imported here: the monitor imports `launcher` without loading torch.
"""
