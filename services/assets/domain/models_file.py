"""The operator's catalogue file: models with their parts lists.

CSV, UTF-8 with or without BOM (else Windows-1252), `;` or `,` told from the
header, header names in any case, spacing or accents (French ones too); blank
lines skipped. One row per part: "Model code", "Brand", "Model" (the model's
name), "Part code", "Part label"; a model without parts has one row with empty
part cells. Every problem of every line is named (`line <n>: <jsonName>`) and
nothing is written then.

Rows are grouped by model code: a model's brand and name are the same on all
its rows (a later row saying otherwise is named), its part codes are unique (a
part given again is named on its later row). A model of the file replaces the
catalogue's whole, parts list included, with the rules of PutModel
(`check_model`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import portal_runtime.csv_import as csv_import
from portal_runtime.errors import Violations

from .equipment import (
    MAX_PARTS,
    EquipmentModel,
    check_model,
    code_problem,
    normalise_code,
    text_problem,
)

INVALID = "MODELS_FILE_INVALID"
MAX_BYTES = 20 * 1024 * 1024
MAX_LINES = 100_000
# (JSON name, accepted header spellings once normalised: letters only, no accents)
COLUMNS: tuple[tuple[str, frozenset[str]], ...] = (
    ("modelCode", frozenset({"modelcode", "modelid", "code", "codemodele", "codedumodele",
                             "referencemodele"})),
    ("brand", frozenset({"brand", "marque", "manufacturer", "fabricant"})),
    ("model", frozenset({"model", "modelname", "name", "modele", "nomdumodele", "nom",
                         "designation"})),
    ("partCode", frozenset({"partcode", "partnumber", "partreference", "codepiece",
                            "codedelapiece", "refpiece", "referencepiece", "referencedelapiece"})),
    ("partLabel", frozenset({"partlabel", "partname", "part", "libellepiece", "libelledelapiece",
                             "designationpiece", "piece", "libelle"})),
)  # fmt: skip
_BY_ALIAS = {alias: name for name, aliases in COLUMNS for alias in aliases}
# Every column, part ones too: a model of the file replaces its parts list, so
# a file without them would empty every list it names.
_REQUIRED = [name for name, _ in COLUMNS]


@dataclass(frozen=True)
class ModelLine:
    """One row, checked on its own; `part_code` "" on a model's row without a part."""

    line_number: int
    code: str
    brand: str
    name: str
    part_code: str = ""
    part_label: str = ""


@dataclass
class _Group:
    first: ModelLine
    parts: list[tuple[str, str]] = field(default_factory=list)
    # part code -> the line giving it
    part_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelsFile:
    """The file's models (parts in the file's order) and its number of lines."""

    models: list[EquipmentModel]
    lines: int


def parse_models_file(data: bytes) -> ModelsFile:
    """The file's models; InvalidArgument naming every bad line (or the file)."""
    if not data:
        raise csv_import.file_error("is required", "REQUIRED_FIELD")
    problems = Violations()
    positions, rows = csv_import.open_table(
        data,
        kind="MODELS_FILE",
        max_bytes=MAX_BYTES,
        aliases=_BY_ALIAS,
        required=_REQUIRED,
        problems=problems,
    )
    groups: dict[str, _Group] = {}
    count = 0
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > MAX_LINES:
            raise csv_import.file_error(
                f"has more than {MAX_LINES} lines: split it", "MODELS_FILE_TOO_LARGE"
            )
        line = _read_line(number, row, positions, problems)
        if line is not None:
            _group(line, groups, problems)
    problems.raise_if_any(INVALID)
    if not groups:
        raise csv_import.file_error("has no lines after its header", "MODELS_FILE_EMPTY")
    models = [
        check_model(code, group.first.brand, group.first.name, group.parts)
        for code, group in groups.items()
    ]
    return ModelsFile(models=models, lines=count)


def _read_line(
    n: int, row: list[str], positions: dict[str, int], problems: Violations
) -> ModelLine | None:
    def cell(name: str) -> str:
        at = positions[name]
        return row[at].strip() if at < len(row) else ""

    def text(name: str) -> str:
        return " ".join(cell(name).split())

    count = len(problems.items)
    code = normalise_code(cell("modelCode"))
    if problem := code_problem(code):
        problems.add(f"line {n}: modelCode", problem)
    brand, name = text("brand"), text("model")
    for column, value in (("brand", brand), ("model", name)):
        if problem := text_problem(value):
            problems.add(f"line {n}: {column}", problem)
    part_code, part_label = normalise_code(cell("partCode")), text("partLabel")
    # Both part cells empty: the model's row without a part.
    if part_code or part_label:
        if problem := code_problem(part_code):
            problems.add(f"line {n}: partCode", problem)
        if problem := text_problem(part_label):
            problems.add(f"line {n}: partLabel", problem)
    if len(problems.items) != count:
        return None
    return ModelLine(n, code, brand, name, part_code, part_label)


def _group(line: ModelLine, groups: dict[str, _Group], problems: Violations) -> None:
    """Adds the line to its model, or names what it contradicts."""
    group = groups.get(line.code)
    if group is None:
        group = groups[line.code] = _Group(first=line)
    n, first = line.line_number, group.first
    agrees = True
    for column, what, given, known in (
        ("brand", "brand", line.brand, first.brand),
        ("model", "name", line.name, first.name),
    ):
        if given != known:
            problems.add(
                f"line {n}: {column}",
                f"must be {known!r}, the {what} of model {line.code} on line {first.line_number}",
            )
            agrees = False
    if not agrees or not line.part_code:
        return
    known_at = group.part_lines.get(line.part_code)
    if known_at is not None:
        problems.add(
            f"line {n}: partCode",
            f"{line.part_code} is already a part of model {line.code} on line {known_at}",
        )
    elif len(group.parts) >= MAX_PARTS:
        problems.add(
            f"line {n}: partCode", f"model {line.code} would have more than {MAX_PARTS} parts"
        )
    else:
        group.part_lines[line.part_code] = n
        group.parts.append((line.part_code, line.part_label))
