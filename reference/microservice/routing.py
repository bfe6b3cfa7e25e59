"""The model router: which version answers a request, and which one shadows it.

Per model: the champion answers by default; a tenant can be pinned to a version (a client
that validated against it, or an internal team testing a challenger); a challenger takes a
share of the remaining traffic (canary, by weight, decided per request so that one
request's instances share a version); in shadow mode the challenger also sees every
champion request, and its answers are recorded but never returned. The table is replaced
whole on every change, so a request never sees half an update.
"""

import random
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict, Field


class RoutingUpdate(BaseModel):
    """The body of `PUT /v1/admin/models/{model}/routing`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    challenger: str | None = Field(default=None, pattern=r"^[0-9]{1,9}$")
    canary_weight: float = Field(default=0.0, ge=0.0, le=1.0)
    shadow: bool = False
    pins: dict[str, str] = {}
    """tenant -> version; the version must be the champion or the challenger."""


@dataclass(frozen=True)
class Route:
    version: str
    shadow: str | None = None


@dataclass(frozen=True)
class ModelRoutes:
    champion: str
    challenger: str | None = None
    canary_weight: float = 0.0
    shadow: bool = False
    pins: dict[str, str] = field(default_factory=dict)

    def versions(self) -> set[str]:
        """Every version this table can send traffic to."""
        return {self.champion} | ({self.challenger} if self.challenger else set())

    def with_update(self, update: RoutingUpdate) -> "ModelRoutes":
        return replace(
            self,
            challenger=update.challenger,
            canary_weight=update.canary_weight if update.challenger else 0.0,
            shadow=update.shadow and update.challenger is not None,
            pins=dict(update.pins),
        )

    def with_champion(self, version: str) -> "ModelRoutes":
        """A new champion; a challenger that became champion stops being one."""
        challenger = None if self.challenger == version else self.challenger
        return replace(
            self,
            champion=version,
            challenger=challenger,
            canary_weight=self.canary_weight if challenger else 0.0,
            shadow=self.shadow and challenger is not None,
            pins={t: v for t, v in self.pins.items() if v in {version, challenger}},
        )


class Router:
    def __init__(self, seed: int | None = None) -> None:
        self._tables: dict[str, ModelRoutes] = {}
        self._random = random.Random(seed)

    def table(self, model: str) -> ModelRoutes | None:
        return self._tables.get(model)

    def set(self, model: str, routes: ModelRoutes) -> None:
        self._tables[model] = routes

    def models(self) -> list[str]:
        return sorted(self._tables)

    def route(self, model: str, tenant: str) -> Route | None:
        table = self._tables.get(model)
        if table is None:
            return None
        pinned = table.pins.get(tenant)
        if pinned is not None:
            return Route(pinned)
        if table.challenger and self._random.random() < table.canary_weight:
            return Route(table.challenger)
        return Route(table.champion, table.challenger if table.shadow else None)
