"""The provisioning interface fleet's background processing talks to.

Each line of a request is one `Operation`, identified by a key that never
changes (`<request id>:<line id>`): the provisioning system applies a key once,
and answers a key it has seen with the outcome it recorded. After a crash, fleet
asks (`lookup`) before sending again, so an operation is neither lost nor
applied twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Operation:
    key: str
    # OPTIONS, SUSPEND, REACTIVATE, SWITCH_TO_PREPAID, CHANGE_PLAN, ACTIVATE_SIM.
    kind: str
    number: str  # E.164
    iccid: str  # the line's current SIM
    activate: tuple[str, ...] = ()
    deactivate: tuple[str, ...] = ()
    plan: str = ""
    reason: str = ""  # SUSPEND: LOSS, THEFT, TEMPORARY
    new_iccid: str = ""  # ACTIVATE_SIM


@dataclass(frozen=True)
class Outcome:
    """The provisioning system's answer: applied, or refused for good with why."""

    applied: bool
    reason: str = ""


class ProvisioningUnavailable(Exception):
    """The system could not be reached or answered with a transient error: the
    operation may be tried again later (it was not refused)."""


class Provisioning(Protocol):
    async def apply(self, operation: Operation) -> Outcome:
        """Applies the operation (once per key); raises ProvisioningUnavailable
        when the outcome is unknown and worth retrying."""
        ...

    async def lookup(self, key: str) -> Outcome | None:
        """The outcome recorded for `key`, or None when the system never received
        it; raises ProvisioningUnavailable."""
        ...

    async def aclose(self) -> None: ...
