"""What traffic sends and how its transforms shape it: kept apart from loading (which talks
to the target and its registry) so that the traffic process imports only this."""

from typing import Any

from pydantic import BaseModel, ConfigDict

from harness.system.instances import InstanceSchema


class TrafficRow(BaseModel):
    """One row as traffic sends it: the instance, its true label (None where the data has
    no label column), and whether it belongs to the group a bias scenario biases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance: dict[str, Any]
    label: Any = None
    member: bool = False


class Shaping(BaseModel):
    """What the transforms need to know of the data, apart from the rows themselves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance_schema: InstanceSchema
    important: list[str]
    """Numeric columns drift shifts, most important first."""
    positive: Any = None
    """The label a bias reports for the group's negatives (the rarer class)."""
    negative: Any = None
    bias_group: str = ""
    """Which group the bias scenario biases, in words (`sex = Female`)."""
    personal: list[str] = []
    """The personal-data columns canaries are planted in."""
