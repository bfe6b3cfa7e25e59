"""Microservice reference architecture: gateway (auth, rate limits, validation, routing,
cache) in front of Ray Serve inference replicas, with the MLflow registry and Feast.

Built in pieces, each usable and tested alone: `auth` (hashed per-tenant API keys and
roles), `ratelimit` (token buckets and quotas), `payloads` (request bodies derived from the
feature schema), `cache` (prediction cache), `loading` (models from the registry by alias
with their sha256 checked).
"""
