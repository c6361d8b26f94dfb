"""The filtered list of lines as a CSV or XLSX file, with the screen's columns."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font

from portal_runtime.auth import customer_entity
from portal_runtime.csv_export import neutralise, to_csv
from portal_runtime.errors import InvalidArgument
from portal_runtime.tokens import Principal
from services.fleet.domain.lines import Line, LineStatus, search_filter
from services.fleet.usecases.common import Deps

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = (
    "Number",
    "International number",
    "SIM",
    "User",
    "Customer number",
    "Product",
    "Plan",
    "Status",
    "Options",
    "Updated",
)


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    content_type: str


def _cells(line: Line) -> list[str]:
    return [
        line.number.national,
        line.number.e164,
        line.iccid,
        line.user_name,
        line.customer_number,
        line.product,
        line.plan,
        line.status.value,
        ", ".join(line.options),
        line.updated_at.isoformat(timespec="seconds") if line.updated_at else "",
    ]


def _text_cell(sheet: object, value: str, font: Font | None = None) -> Cell:
    # Characters XML cannot hold go first (openpyxl refuses them), so that what
    # remains is what gets neutralised: `\x01=cmd` must not end up as `=cmd`.
    cell = WriteOnlyCell(sheet, neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)))
    # A string cell is never evaluated, even if a value slipped past the prefix rule.
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """One sheet, header row bold, every cell a string cell."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Lines")
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, name, bold) for name in header])
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def export_lines(
    deps: Deps,
    principal: Principal | None,
    *,
    q: str = "",
    status: LineStatus | None = None,
    plan: str = "",
    customer_number: str = "",
    file_format: str = "",
) -> ExportFile:
    """The lines `list_lines` would show with these criteria, every one of them."""
    entity_id = customer_entity(principal)
    file_format = file_format.strip().lower()
    if file_format not in ("", "csv", "xlsx"):
        raise InvalidArgument.for_field("format", "must be csv or xlsx")
    criteria = search_filter(q, status=status, plan=plan, customer_number=customer_number)
    async with deps.db.transaction() as s:
        rows = [_cells(line) async for line in deps.repo.lines.all_matching(s, entity_id, criteria)]
    # Building the file takes seconds for a large fleet: off the event loop.
    if file_format == "xlsx":
        return ExportFile(await asyncio.to_thread(to_xlsx, HEADER, rows), XLSX_TYPE)
    return ExportFile(await asyncio.to_thread(to_csv, HEADER, rows), CSV_TYPE)
