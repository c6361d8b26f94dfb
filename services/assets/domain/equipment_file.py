"""The operator's park file: a customer's machines as the operator's systems
know them.

CSV, UTF-8 with or without BOM (else Windows-1252), `;` or `,` told from the
header, header names in any case, spacing or accents (French ones too); blank
lines skipped. Columns: "Model" (the catalogue's code) and "Reference"
required; "Name", "Site", "Address", "Postal code", "City", "Commissioned on"
(YYYY-MM-DD), "Contract", "Status" optional. Every problem of every line is
named (`line <n>: <jsonName>`) and nothing is written then.

A reference already in the entity's park updates that machine; a blank cell
leaves the machine's value as it is (a new machine gets the defaults: the
model's brand and name as its name, IN_SERVICE). A site is the entity's site of
that name (any case), created with the line's address when new; an address
given for a known site replaces its address."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import portal_runtime.csv_import as csv_import
from portal_runtime.errors import Violations

from .equipment import (
    FILE_STATUS_PROBLEM,
    MAX_CONTRACT,
    MAX_TEXT,
    Equipment,
    EquipmentModel,
    EquipmentStatus,
    Site,
    SiteAddress,
    commissioning_problem,
    new_equipment,
    normalise_code,
    parse_file_status,
    reference_key,
    reference_problem,
    site_key,
)

INVALID = "EQUIPMENT_FILE_INVALID"
MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 50_000
# (JSON name, accepted header spellings once normalised, required)
COLUMNS: tuple[tuple[str, frozenset[str], bool], ...] = (
    ("model", frozenset({"model", "modelcode", "modele", "codemodele", "codedumodele"}), True),
    (
        "reference",
        frozenset({"reference", "ref", "serialnumber", "numerodeserie", "nserie", "serie"}),
        True,
    ),
    ("name", frozenset({"name", "nom", "designation", "machine"}), False),
    ("site", frozenset({"site", "sitename", "nomdusite"}), False),
    ("address", frozenset({"address", "adresse", "street", "rue"}), False),
    ("postalCode", frozenset({"postalcode", "codepostal", "cp", "zip", "zipcode"}), False),
    ("city", frozenset({"city", "ville", "commune"}), False),
    (
        "commissionedOn",
        frozenset({"commissionedon", "commissioned", "miseenservice", "datedemiseenservice"}),
        False,
    ),
    ("contract", frozenset({"contract", "contrat", "contractnumber", "numerodecontrat"}), False),
    ("status", frozenset({"status", "statut", "etat"}), False),
)
_BY_ALIAS = {alias: name for name, aliases, _ in COLUMNS for alias in aliases}
_REQUIRED = [name for name, _, required in COLUMNS if required]


@dataclass(frozen=True)
class FileMachine:
    """One line of the file, checked on its own."""

    line_number: int
    model_code: str
    reference: str
    name: str = ""
    site_name: str = ""
    address: SiteAddress = field(default_factory=SiteAddress)
    commissioned_on: date | None = None
    contract: str = ""
    status: EquipmentStatus | None = None


@dataclass
class ImportPlan:
    """What the file changes: machines and sites to add, and to save."""

    new_machines: list[Equipment] = field(default_factory=list)
    updated_machines: list[Equipment] = field(default_factory=list)
    new_sites: list[Site] = field(default_factory=list)
    updated_sites: list[Site] = field(default_factory=list)


# ---- the lines -------------------------------------------------------------------------


def parse_equipment_file(data: bytes, today: date) -> list[FileMachine]:
    """The file's machines; InvalidArgument naming every bad line (or the file)."""
    if not data:
        raise csv_import.file_error("is required", "REQUIRED_FIELD")
    problems = Violations()
    positions, rows = csv_import.open_table(
        data,
        kind="EQUIPMENT_FILE",
        max_bytes=MAX_BYTES,
        aliases=_BY_ALIAS,
        required=_REQUIRED,
        problems=problems,
    )
    machines: list[FileMachine] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(machines) >= MAX_LINES:
            raise csv_import.file_error(
                f"has more than {MAX_LINES} lines: split it", "EQUIPMENT_FILE_TOO_LARGE"
            )
        machine = _read_line(number, row, positions, today, problems)
        if machine is None:
            continue
        first = seen.setdefault(reference_key(machine.reference), number)
        if first != number:
            problems.add(f"line {number}: reference", f"is already on line {first}")
            continue
        machines.append(machine)
    _check_sites(machines, problems)
    problems.raise_if_any(INVALID)
    if not machines:
        raise csv_import.file_error("has no lines after its header", "EQUIPMENT_FILE_EMPTY")
    return machines


def _read_line(
    n: int, row: list[str], positions: dict[str, int], today: date, problems: Violations
) -> FileMachine | None:
    def cell(name: str) -> str:
        at = positions.get(name)
        return " ".join(row[at].split()) if at is not None and at < len(row) else ""

    count = len(problems.items)
    model_code = normalise_code(cell("model"))
    if not model_code:
        problems.add(f"line {n}: model", "is required")
    reference = cell("reference")
    problem = reference_problem(reference)
    if problem:
        problems.add(f"line {n}: reference", problem)
    for name in ("name", "site", "address", "city"):
        if len(cell(name)) > MAX_TEXT:
            problems.add(f"line {n}: {name}", f"must be at most {MAX_TEXT} characters")
    if len(cell("postalCode")) > 16:
        problems.add(f"line {n}: postalCode", "must be at most 16 characters")
    if len(cell("contract")) > MAX_CONTRACT:
        problems.add(f"line {n}: contract", f"must be at most {MAX_CONTRACT} characters")
    address = SiteAddress(line1=cell("address"), postal_code=cell("postalCode"), city=cell("city"))
    if not cell("site") and not address.blank:
        problems.add(f"line {n}: site", "is required when an address is given")
    commissioned_on = None
    if cell("commissionedOn"):
        commissioned_on, problem = commissioning_problem(cell("commissionedOn"), today)
        if problem:
            problems.add(f"line {n}: commissionedOn", problem)
    status = None
    if cell("status"):
        status = parse_file_status(cell("status"))
        if status is None:
            problems.add(f"line {n}: status", FILE_STATUS_PROBLEM)
    if len(problems.items) != count:
        return None
    return FileMachine(
        line_number=n,
        model_code=model_code,
        reference=reference,
        name=cell("name"),
        site_name=cell("site"),
        address=address,
        commissioned_on=commissioned_on,
        contract=cell("contract"),
        status=status,
    )


def _check_sites(machines: list[FileMachine], problems: Violations) -> None:
    """A site named on several lines has one address: the lines giving one agree."""
    first: dict[str, FileMachine] = {}
    for machine in machines:
        if not machine.site_name or machine.address.blank:
            continue
        known = first.setdefault(site_key(machine.site_name), machine)
        if known.address != machine.address:
            problems.add(
                f"line {machine.line_number}: address",
                f"site {machine.site_name!r} has another address on line {known.line_number}",
            )


def check_models(machines: list[FileMachine], models: Mapping[str, EquipmentModel]) -> None:
    """Every model code must be the catalogue's: each line naming another is listed."""
    problems = Violations()
    for machine in machines:
        if machine.model_code not in models:
            problems.add(
                f"line {machine.line_number}: model",
                f"no model {machine.model_code!r} in the catalogue",
            )
    problems.raise_if_any(INVALID)


def plan_import(
    entity_id: str,
    machines: list[FileMachine],
    models: Mapping[str, EquipmentModel],
    in_park: Mapping[str, Equipment],
    sites: Mapping[str, Site],
    new_id: Callable[[], str],
    now: datetime,
) -> ImportPlan:
    """The changes the checked file makes to the entity's park (`in_park` by
    reference key, `sites` by name key)."""
    plan = ImportPlan()
    sites = dict(sites)
    for line in machines:
        site = _site_of(entity_id, line, sites, plan, new_id, now)
        model = models[line.model_code]
        machine = in_park.get(reference_key(line.reference))
        if machine is None:
            plan.new_machines.append(
                new_equipment(
                    new_id(),
                    entity_id,
                    model,
                    line.reference,
                    line.name,
                    now,
                    site=site,
                    commissioned_on=line.commissioned_on,
                    contract=line.contract,
                    status=line.status or EquipmentStatus.IN_SERVICE,
                )
            )
            continue
        machine.model_code, machine.brand, machine.model_name = model.code, model.brand, model.name
        machine.reference = line.reference
        if line.name:
            machine.name = line.name
        if site is not None:
            machine.site_id, machine.site = site.id, site
        if line.commissioned_on is not None:
            machine.commissioned_on = line.commissioned_on
        if line.contract:
            machine.contract = line.contract
        if line.status is not None:
            machine.status = line.status
        machine.updated_at = now
        plan.updated_machines.append(machine)
    return plan


def _site_of(
    entity_id: str,
    line: FileMachine,
    sites: dict[str, Site],
    plan: ImportPlan,
    new_id: Callable[[], str],
    now: datetime,
) -> Site | None:
    if not line.site_name:
        return None
    key = site_key(line.site_name)
    site = sites.get(key)
    if site is None:
        site = Site(new_id(), entity_id, line.site_name, line.address, now)
        sites[key] = site
        plan.new_sites.append(site)
    elif not line.address.blank and _merged(site.address, line.address) != site.address:
        site.address = _merged(site.address, line.address)
        listed = {s.id for s in (*plan.new_sites, *plan.updated_sites)}
        if site.id not in listed:
            plan.updated_sites.append(site)
    return site


def _merged(stored: SiteAddress, given: SiteAddress) -> SiteAddress:
    # The file has no second line nor country: those stay as they are.
    return replace(stored, line1=given.line1, postal_code=given.postal_code, city=given.city)
