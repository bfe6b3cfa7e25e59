"""readiness: measured AI production readiness.

This package is two floors of the house. At the bottom, the contracts every layer may
import and which import nothing of the project above them: the exception tree
(`readiness.errors`), the evidence bundle's format (`readiness.bundle`), the target
descriptor (`readiness.descriptor`), where state lives (`readiness.home`), the audit
store's hash chains (`readiness.audit`) and the small helpers beside them. At the top, the
leaves that compose the layers: `readiness.jobs` (what the commands do, as functions) and
`readiness.cli` (the `readiness` command). The layers between live in `reference/`,
`harness/`, `assessment/` and `reports/`; `docs/architecture.md` draws them.
"""

__version__ = "0.1.0"
