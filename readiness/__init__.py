"""readiness: measured AI production readiness.

This package is the composition root shared by every component: the exception tree
(`readiness.errors`), where state lives (`readiness.home`) and the `readiness` CLI
(`readiness.cli`). The components themselves live in `reference/`, `harness/`,
`assessment/` and `reports/`.
"""

__version__ = "0.1.0"
