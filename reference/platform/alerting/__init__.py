"""The alert hierarchy: rules as data, an engine that fires, deduplicates, inhibits and
resolves alerts, and the actions each severity takes."""
