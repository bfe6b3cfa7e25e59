"""Monitors on the live prediction stream: drift, data quality, model performance and
fairness, computed from mergeable sketches and the prediction log, with alert rules as data.
"""
