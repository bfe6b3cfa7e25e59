"""Explanations: local SHAP attributions, counterfactuals under a recourse policy, global
importance, and the global report computed on a schedule."""
