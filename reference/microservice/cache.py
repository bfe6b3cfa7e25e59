"""A prediction cache keyed by model version and canonical features.

The key covers everything that decides the answer: model name, model version and the
instance's features in canonical form (sorted keys, floats as repr), so a promotion or a
rollback can never serve an answer of another version; `invalidate` also drops a model's
entries at once when its champion changes. Entries expire after a TTL; the least recently
used entry goes first when the cache is full. Hits and misses are counted for metrics.
"""

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Clock = Callable[[], float]


def canonical_key(model: str, version: str, features: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        {"model": model, "version": version, "features": features},
        sort_keys=True,
        separators=(",", ":"),
        default=repr,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class PredictionCache:
    def __init__(self, ttl_s: float, max_entries: int = 100_000, clock: Clock = time.monotonic):
        if ttl_s <= 0 or max_entries <= 0:
            raise ValueError("cache ttl_s and max_entries must be positive")
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get(self, model: str, version: str, features: Mapping[str, Any]) -> float | None:
        key = canonical_key(model, version, features)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                if entry is not None:
                    del self._entries[key]
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return entry[2]

    def put(self, model: str, version: str, features: Mapping[str, Any], value: float) -> None:
        key = canonical_key(model, version, features)
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl_s, model, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def invalidate(self, model: str) -> int:
        """Drop every entry of `model`; returns how many were dropped."""
        with self._lock:
            stale = [key for key, (_, owner, _) in self._entries.items() if owner == model]
            for key in stale:
                del self._entries[key]
            return len(stale)

    def __len__(self) -> int:
        return len(self._entries)
