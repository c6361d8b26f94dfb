"""The operator's file of a month's car-park exits.

CSV, UTF-8 with or without BOM (else Windows-1252), `;` or `,` told from the
header, header names in any case, accents and spacing (English or French);
blank lines skipped. Columns: "Badge", "Exit" (a date and time: `2026-10-03
08:15`, ISO `2026-10-03T08:15:00` with or without an offset, or `03/10/2026
08:15` as French spreadsheets write it) and "Car park". Times are the car
park's local time (an ISO time with an offset is converted to it).

Every problem of every line is reported as `line <n>: <jsonName>` and nothing
is written then: a badge no contract has, an exit outside the file's month or
in the future, a car park other than the badge's contract's, the same exit
twice. (fleet reads its operator files the same way: `services/fleet/domain/
csv_rows.py`; domains import no other service, hence this reader of its own.)"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

import portal_runtime.csv_import as csv_import
from portal_runtime.errors import Violations

from .parking import BADGE_PROBLEM, Exit, ParkingContract, car_park_key, month_of, normalise_badge

INVALID = "EXITS_FILE_INVALID"
MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 200_000
MAX_CAR_PARK = 100
EXIT_PROBLEM = "must be a date and time: 2026-10-03 08:15, 2026-10-03T08:15:00 or 03/10/2026 08:15"
# (JSON name, accepted header spellings once normalised: letters only, no accents)
COLUMNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("badge", frozenset({"badge", "badgenumber", "badgeid", "numerobadge", "numerodebadge",
                         "nbadge", "carte", "numerodecarte"})),
    ("exit", frozenset({"exit", "exitat", "exittime", "exitdate", "exitdatetime", "exitedat",
                        "sortie", "datesortie", "datedesortie", "heuresortie", "heuredesortie",
                        "dateheuresortie", "dateetheuredesortie"})),
    ("carPark", frozenset({"carpark", "carparkname", "parking", "parc", "parcdestationnement",
                           "nomduparc", "nomduparking"})),
)  # fmt: skip
_BY_ALIAS = {alias: name for name, aliases in COLUMNS for alias in aliases}
_ISO = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_FRENCH = re.compile(
    r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})[ T]+([0-9]{1,2})[:hH]([0-9]{2})(?::([0-9]{2}))?$"
)


@dataclass(frozen=True)
class ExitLine:
    """One line as read: its badge ("" when unreadable) and time (None when
    unreadable); the reason is already among the file's problems."""

    line_number: int
    badge: str
    exited_at: datetime | None
    car_park: str


@dataclass
class ExitsFile:
    month: str
    lines: list[ExitLine]
    # (line, JSON name, description) of every problem found while reading.
    problems: list[tuple[int, str, str]]

    @property
    def badges(self) -> set[str]:
        return {line.badge for line in self.lines if line.badge}


def parse_exit_time(raw: str, zone: tzinfo) -> datetime | None:
    """The exit as the car park's local wall-clock time (naive, to the second),
    or None."""
    text = raw.strip()
    if _ISO.match(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(zone).replace(tzinfo=None)
        return parsed.replace(microsecond=0)
    french = _FRENCH.match(text)
    if french is None:
        return None
    day, month, year, hour, minute, second = french.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None


def read_exits_file(data: bytes, month: str, now_local: datetime, zone: tzinfo) -> ExitsFile:
    """The file's lines and the problems each has on its own (the badges are
    checked against the contracts by `assign_exits`); InvalidArgument at once
    for a problem of the whole file (size, header, no lines)."""
    problems: list[tuple[int, str, str]] = []
    positions, rows = csv_import.open_table(
        data,
        kind="EXITS_FILE",
        max_bytes=MAX_BYTES,
        aliases=_BY_ALIAS,
        required=("badge", "exit", "carPark"),
        problems=Violations(),
    )
    lines: list[ExitLine] = []
    seen: dict[tuple[str, datetime], int] = {}
    for n, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(lines) >= MAX_LINES:
            raise csv_import.file_error(
                f"has more than {MAX_LINES} lines: split it", "EXITS_FILE_TOO_LARGE"
            )
        line = _read_line(n, row, positions, month, now_local, zone, problems)
        lines.append(line)
        if line.badge and line.exited_at is not None:
            first = seen.setdefault((line.badge, line.exited_at), n)
            if first != n:
                problems.append((n, "exit", f"this badge's exit at this time is on line {first}"))
    if not lines and not problems:
        raise csv_import.file_error("has no lines after its header", "EXITS_FILE_EMPTY")
    return ExitsFile(month=month, lines=lines, problems=problems)


def _read_line(
    n: int,
    row: list[str],
    positions: Mapping[str, int],
    month: str,
    now_local: datetime,
    zone: tzinfo,
    problems: list[tuple[int, str, str]],
) -> ExitLine:
    def cell(name: str) -> str:
        at = positions[name]
        return row[at].strip() if at < len(row) else ""

    raw_badge = cell("badge")
    badge = normalise_badge(raw_badge) or ""
    if not raw_badge:
        problems.append((n, "badge", "is required"))
    elif not badge:
        problems.append((n, "badge", BADGE_PROBLEM))
    raw_exit = cell("exit")
    exited_at = parse_exit_time(raw_exit, zone) if raw_exit else None
    if not raw_exit:
        problems.append((n, "exit", "is required"))
    elif exited_at is None:
        problems.append((n, "exit", EXIT_PROBLEM))
    elif month_of(exited_at) != month:
        problems.append((n, "exit", f"is not in {month}, the month of this file"))
        exited_at = None
    elif exited_at > now_local:
        problems.append((n, "exit", "must not be in the future"))
        exited_at = None
    car_park = " ".join(cell("carPark").split())
    if not car_park:
        problems.append((n, "carPark", "is required"))
    elif len(car_park) > MAX_CAR_PARK:
        problems.append((n, "carPark", f"must be at most {MAX_CAR_PARK} characters"))
        car_park = ""
    return ExitLine(line_number=n, badge=badge, exited_at=exited_at, car_park=car_park)


def assign_exits(read: ExitsFile, contracts: Mapping[str, ParkingContract]) -> list[Exit]:
    """Each line's exit on the contract holding its badge (`contracts`: badge ->
    contract), or InvalidArgument naming every bad line of the file: a badge no
    contract has, a contract not started in the month, another car park."""
    problems = list(read.problems)
    exits: list[Exit] = []
    for line in read.lines:
        contract = contracts.get(line.badge) if line.badge else None
        if line.badge and contract is None:
            problems.append((line.line_number, "badge", "no contract has this badge"))
        elif contract is not None and not contract.active_in(read.month):
            problems.append(
                (
                    line.line_number,
                    "badge",
                    f"its contract {contract.number} starts on "
                    f"{contract.start_date.isoformat()}, after {read.month}",
                )
            )
            contract = None
        if (
            contract is not None
            and line.car_park
            and car_park_key(line.car_park) != car_park_key(contract.car_park)
        ):
            problems.append(
                (
                    line.line_number,
                    "carPark",
                    f"is not the car park of this badge's contract {contract.number} "
                    f"({contract.car_park})",
                )
            )
            continue
        if contract is None or line.exited_at is None or not line.car_park:
            continue
        exits.append(
            Exit(
                badge=line.badge,
                exited_at=line.exited_at,
                car_park=contract.car_park,
                contract_id=contract.id,
                entity_id=contract.entity_id,
            )
        )
    if problems:
        violations = Violations()
        for n, name, description in sorted(problems, key=lambda p: p[0]):
            violations.add(f"line {n}: {name}" if name else f"line {n}", description)
        violations.raise_if_any(INVALID)
    return exits
