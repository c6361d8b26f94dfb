"""The equipment park: the operator's catalogue of models (brand, model, parts
list), the customer's sites, and the machines of each customer's park.

A machine's reference (its serial number) is unique in its entity's park: two
machines still in the park never share one (compared without case or blanks).
A machine taken out of the park (REMOVED, after a removal request is done) is
kept, with its history, and frees its reference."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from portal_runtime.dates import parse_iso_date
from portal_runtime.errors import AlreadyExists, InvalidArgument, Violations

MAX_CODE = 64
MAX_TEXT = 200
MAX_REFERENCE = 100
MAX_CONTRACT = 64
MAX_PARTS = 5_000
_BLANKS = re.compile(r"\s+")


class EquipmentStatus(StrEnum):
    IN_SERVICE = "IN_SERVICE"
    OUT_OF_ORDER = "OUT_OF_ORDER"
    UNDER_MAINTENANCE = "UNDER_MAINTENANCE"
    REMOVED = "REMOVED"


# What the operator's file may say (a removal goes through a removal request).
_FILE_STATUSES = {
    "IN_SERVICE": EquipmentStatus.IN_SERVICE,
    "EN_SERVICE": EquipmentStatus.IN_SERVICE,
    "OUT_OF_ORDER": EquipmentStatus.OUT_OF_ORDER,
    "EN_PANNE": EquipmentStatus.OUT_OF_ORDER,
    "HORS_SERVICE": EquipmentStatus.OUT_OF_ORDER,
    "UNDER_MAINTENANCE": EquipmentStatus.UNDER_MAINTENANCE,
    "EN_MAINTENANCE": EquipmentStatus.UNDER_MAINTENANCE,
}
FILE_STATUS_PROBLEM = "must be IN_SERVICE, OUT_OF_ORDER or UNDER_MAINTENANCE"


@dataclass(frozen=True)
class Part:
    code: str
    label: str


@dataclass(frozen=True)
class EquipmentModel:
    code: str
    brand: str
    name: str
    parts: tuple[Part, ...] = ()
    updated_at: datetime | None = None

    def part(self, code: str) -> Part | None:
        wanted = normalise_code(code)
        return next((p for p in self.parts if p.code == wanted), None)

    @property
    def default_machine_name(self) -> str:
        return f"{self.brand} {self.name}"


@dataclass(frozen=True)
class SiteAddress:
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""

    @property
    def blank(self) -> bool:
        return not (self.line1 or self.line2 or self.postal_code or self.city or self.country)


@dataclass
class Site:
    id: str
    entity_id: str
    name: str
    address: SiteAddress = field(default_factory=SiteAddress)
    created_at: datetime | None = None

    @property
    def key(self) -> str:
        return site_key(self.name)


@dataclass
class Equipment:
    id: str
    entity_id: str
    model_code: str
    reference: str
    name: str
    status: EquipmentStatus = EquipmentStatus.IN_SERVICE
    site_id: str = ""
    commissioned_on: date | None = None
    # The maintenance contract's number.
    contract: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    removed_at: datetime | None = None
    # Read with the machine from the catalogue and the sites (their current
    # words), not stored with it.
    brand: str = ""
    model_name: str = ""
    site: Site | None = None

    @property
    def in_park(self) -> bool:
        return self.status is not EquipmentStatus.REMOVED

    @property
    def reference_key(self) -> str:
        return reference_key(self.reference)

    def describe(self) -> str:
        """How the departments name a machine: `<brand> <model> <reference>`."""
        return " ".join(x for x in (self.brand, self.model_name, self.reference) if x)

    def start_maintenance(self, now: datetime) -> bool:
        """An intervention began on it; whether that changed its status."""
        if self.status in (EquipmentStatus.REMOVED, EquipmentStatus.UNDER_MAINTENANCE):
            return False
        self.status = EquipmentStatus.UNDER_MAINTENANCE
        self.updated_at = now
        return True

    def end_maintenance(self, now: datetime) -> bool:
        """The intervention ended (done or cancelled): back in service, unless
        something else moved it meanwhile (removed, re-imported...)."""
        if self.status is not EquipmentStatus.UNDER_MAINTENANCE:
            return False
        self.status = EquipmentStatus.IN_SERVICE
        self.updated_at = now
        return True

    def remove(self, now: datetime) -> bool:
        if self.status is EquipmentStatus.REMOVED:
            return False
        self.status = EquipmentStatus.REMOVED
        self.removed_at = now
        self.updated_at = now
        return True


@dataclass(frozen=True)
class EquipmentFilter:
    """A list's criteria; `q` (the search box) looks in names and references."""

    q: str = ""
    brand: str = ""
    model: str = ""
    site_id: str = ""
    include_removed: bool = False

    @property
    def q_key(self) -> str:
        return reference_key(self.q)


def search_filter(
    q: str = "", brand: str = "", model: str = "", site_id: str = "", include_removed: bool = False
) -> EquipmentFilter:
    return EquipmentFilter(
        q=" ".join(q.split()),
        brand=" ".join(brand.split()),
        model=" ".join(model.split()),
        site_id=site_id.strip(),
        include_removed=include_removed,
    )


def normalise_code(raw: str) -> str:
    """Catalogue codes (models, parts) compare without case or surrounding blanks."""
    return raw.strip().upper()


def reference_key(raw: str) -> str:
    """`hds 8/18 - 001` and `HDS8/18-001` are the same serial number typed twice."""
    return _BLANKS.sub("", raw).upper()


def site_key(raw: str) -> str:
    return " ".join(raw.split()).casefold()


def code_problem(code: str) -> str:
    """Why a catalogue code (a model's or a part's, normalised) cannot be one, or ""."""
    if not code:
        return "is required"
    if len(code) > MAX_CODE:
        return f"must be at most {MAX_CODE} characters"
    return ""


def text_problem(text: str) -> str:
    """Why a catalogue text (a brand, a model's name, a part's label) cannot be one, or ""."""
    if not text:
        return "is required"
    if len(text) > MAX_TEXT:
        return f"must be at most {MAX_TEXT} characters"
    return ""


def check_model(
    code: str, brand: str, name: str, parts: Sequence[tuple[str, str]], given_id: str = ""
) -> EquipmentModel:
    """A catalogue model as the operator puts it: code, brand, name, and parts
    with codes unique in the model; every problem named."""
    violations = Violations()
    code = normalise_code(code)
    if problem := code_problem(code):
        violations.add("code", problem)
    if given_id.strip() and normalise_code(given_id) != code:
        violations.add("model.id", "must be empty or the code of the path")
    for name_of, value in (("model.brand", brand), ("model.name", name)):
        if problem := text_problem(value.strip()):
            violations.add(name_of, problem)
    if len(parts) > MAX_PARTS:
        violations.add("model.parts", f"must be at most {MAX_PARTS}")
    checked: list[Part] = []
    first_at: dict[str, int] = {}
    for index, (part_code, label) in enumerate(parts[:MAX_PARTS]):
        part_code = normalise_code(part_code)
        label = " ".join(label.split())
        if problem := code_problem(part_code):
            violations.add(f"model.parts[{index}].code", problem)
        elif first_at.setdefault(part_code, index) != index:
            violations.add(
                f"model.parts[{index}].code",
                f"{part_code} is already model.parts[{first_at[part_code]}]",
            )
        if problem := text_problem(label):
            violations.add(f"model.parts[{index}].label", problem)
        checked.append(Part(part_code, label))
    violations.raise_if_any("INVALID_MODEL")
    return EquipmentModel(code, brand.strip(), name.strip(), tuple(checked))


def commissioning_problem(raw: str, today: date) -> tuple[date | None, str]:
    """(the date, "") or (None, why not): YYYY-MM-DD, not in the future."""
    day = parse_iso_date(raw.strip())
    if day is None:
        return None, "must be a date YYYY-MM-DD"
    if day > today:
        return None, "must not be in the future"
    return day, ""


def reference_problem(raw: str) -> str:
    reference = raw.strip()
    if not reference:
        return "is required"
    if len(reference) > MAX_REFERENCE:
        return f"must be at most {MAX_REFERENCE} characters"
    return ""


def name_problem(raw: str) -> str:
    return f"must be at most {MAX_TEXT} characters" if len(raw.strip()) > MAX_TEXT else ""


def parse_file_status(raw: str) -> EquipmentStatus | None:
    name = _BLANKS.sub("_", raw.strip().upper()).replace("-", "_")
    return _FILE_STATUSES.get(name.removeprefix("EQUIPMENT_STATUS_"))


def reference_taken(existing: Equipment, field_name: str = "reference") -> AlreadyExists:
    """The park has a machine with that reference already: named, so the
    customer finds it."""
    return AlreadyExists(
        "REFERENCE_IN_PARK",
        f"{field_name}: {existing.reference} is already in the park: "
        f"{existing.name} (id {existing.id})",
        metadata={"equipmentId": existing.id, "name": existing.name},
    )


def new_equipment(
    equipment_id: str,
    entity_id: str,
    model: EquipmentModel,
    reference: str,
    name: str,
    now: datetime,
    *,
    site: Site | None = None,
    commissioned_on: date | None = None,
    contract: str = "",
    status: EquipmentStatus = EquipmentStatus.IN_SERVICE,
) -> Equipment:
    return Equipment(
        id=equipment_id,
        entity_id=entity_id,
        model_code=model.code,
        reference=reference.strip(),
        name=name.strip() or model.default_machine_name,
        status=status,
        site_id=site.id if site else "",
        commissioned_on=commissioned_on,
        contract=contract.strip(),
        created_at=now,
        updated_at=now,
        brand=model.brand,
        model_name=model.name,
        site=site,
    )


def require_text_filter(value: str, field_name: str) -> None:
    """Filters are typed in a box: bounded so a query stays a query."""
    if len(value) > MAX_TEXT:
        raise InvalidArgument.for_field(field_name, f"must be at most {MAX_TEXT} characters")
