"""EventBridge: the bus that job events (Document Processed / Failed) are put on."""

from __future__ import annotations

import json

from aws_cdk import aws_events as events
from constructs import Construct

EVENT_SOURCE = "doctables"
DETAIL_TYPES = ("Document Processed", "Document Failed")
# An example rule pattern matching every doctables job event (emitted as a stack output).
EXAMPLE_RULE_PATTERN: dict[str, list[str]] = {
    "source": [EVENT_SOURCE],
    "detail-type": list(DETAIL_TYPES),
}


def example_rule_pattern_json() -> str:
    return json.dumps(EXAMPLE_RULE_PATTERN)


class JobEvents(Construct):
    """``bus`` is the account's default bus for ``default``, else a bus created here."""

    def __init__(self, scope: Construct, construct_id: str, *, bus_name: str) -> None:
        super().__init__(scope, construct_id)
        self.created = bus_name != "default"
        if self.created:
            self.bus: events.IEventBus = events.EventBus(self, "Bus", event_bus_name=bus_name)
        else:
            self.bus = events.EventBus.from_event_bus_name(self, "Bus", bus_name)
