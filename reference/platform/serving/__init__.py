"""The kit every serving path shares: API keys and roles, rate limits, refusals as HTTP
problems, admin routes, request models from the schema, metrics and group commit."""
