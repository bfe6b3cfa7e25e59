"""Which version answers: champion, canary share, tenant pins, shadow."""

from reference.microservice.routing import ModelRoutes, Route, Router, RoutingUpdate


def router_with(routes: ModelRoutes) -> Router:
    router = Router(seed=3)
    router.set("m", routes)
    return router


def test_the_champion_answers_when_nothing_else_is_set() -> None:
    assert router_with(ModelRoutes(champion="1")).route("m", "acme") == Route("1")


def test_an_unknown_model_has_no_route() -> None:
    assert Router().route("m", "acme") is None


def test_the_canary_takes_its_weight_of_the_traffic() -> None:
    router = router_with(ModelRoutes(champion="1", challenger="2", canary_weight=0.2))
    versions = [router.route("m", "acme").version for _ in range(5000)]  # type: ignore[union-attr]
    assert abs(versions.count("2") / len(versions) - 0.2) < 0.03


def test_a_pinned_tenant_always_gets_its_version() -> None:
    routes = ModelRoutes(champion="1", challenger="2", canary_weight=1.0, pins={"acme": "1"})
    router = router_with(routes)
    assert {router.route("m", "acme") for _ in range(50)} == {Route("1")}
    assert router.route("m", "globex") == Route("2")


def test_shadow_mode_mirrors_champion_traffic_to_the_challenger() -> None:
    router = router_with(ModelRoutes(champion="1", challenger="2", shadow=True))
    assert router.route("m", "acme") == Route("1", shadow="2")


def test_an_update_without_a_challenger_turns_canary_and_shadow_off() -> None:
    routes = ModelRoutes(champion="1").with_update(RoutingUpdate(canary_weight=0.5, shadow=True))
    assert (routes.challenger, routes.canary_weight, routes.shadow) == (None, 0.0, False)


def test_promoting_the_challenger_ends_its_canary_and_stale_pins() -> None:
    routes = ModelRoutes(champion="1", challenger="2", canary_weight=0.3, pins={"a": "1", "b": "2"})
    promoted = routes.with_champion("2")
    assert promoted == ModelRoutes(champion="2", pins={"b": "2"})
    assert promoted.versions() == {"2"}
