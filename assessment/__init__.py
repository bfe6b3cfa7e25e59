"""The assessment engine: a bundle's evidence scored against the 10-dimension, 50-point
framework. Collectors (`collectors/`) turn a target's interfaces and the bundle into facts
(`facts`, named in `evidence`), probes (`probes/`) judge facts into findings by the rubric
(`rubric.yaml`, bound in `registry`), `evaluate` scores each dimension, `roadmap` plans the
remediation, `gate` judges an assessment against a policy, and `exports` renders it (JSON,
Markdown, HTML, SARIF, JUnit). `engine` and `collect` are the entry points."""
