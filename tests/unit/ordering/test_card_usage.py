"""Card usage (the meal-card guide's card statistics): the usage file read with
the order file's conventions, every bad line named and nothing written, a month
imported again replacing its figures, and the figures next to the loads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from portal_runtime.errors import InvalidArgument, PermissionDenied
from services.ordering import convert
from services.ordering.domain.beneficiaries import BeneficiaryRef
from services.ordering.domain.card_usage import (
    KnownBeneficiaries,
    parse_month,
    read_usage_file,
    usage_records,
)
from services.ordering.usecases import beneficiaries, card_usage, statistics

from .conftest import World
from .helpers import person
from .test_statistics_usecases import loaded_order

AT = datetime(2026, 3, 10, tzinfo=UTC)
ADA = BeneficiaryRef("b-ada", "E-1", "Ada Lovelace")


def _known(entity_id: str, by_number: dict | None = None) -> KnownBeneficiaries:
    """Ada, of ACME, found by id; by number as given."""
    return KnownBeneficiaries(entity_id, by_number or {}, {"b-ada": ("ent-acme", ADA)})


def _problems(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


def test_months_and_the_header_any_way_it_is_written() -> None:
    assert parse_month("2026-02") == "2026-02" and parse_month(" 02/2026 ") == "2026-02"
    assert parse_month("2026-13") is None and parse_month("2026-2") is None
    data = '\ufeffMatricule,Mois,Montant dépensé\r\nE-1,02/2026,"12,50"\r\n,,\r\n'.encode()
    usage = read_usage_file(data, this_month="2026-03")
    [line] = usage.lines
    assert (line.employee_number, line.month, line.spent_cents) == ("E-1", "2026-02", 1250)
    assert not usage.problems and usage.by_employee_number
    by_id = read_usage_file(b"Beneficiary id;Month;Amount spent\nb-ada;2026-01;0\n",
                            this_month="2026-03")  # fmt: skip
    assert by_id.beneficiary_ids == ["b-ada"] and not by_id.by_employee_number


def test_whole_file_problems_are_said_at_once() -> None:
    for data, reason in (
        (b"", "CARD_USAGE_FILE_EMPTY"),
        (b"Employee number;Month;Amount spent\n", "CARD_USAGE_FILE_EMPTY"),
        (b"Month;Amount spent;Colour\n2026-01;1\n", "CARD_USAGE_FILE_INVALID"),
    ):
        with pytest.raises(InvalidArgument) as error:
            read_usage_file(data, this_month="2026-03")
        assert error.value.reason == reason
    with pytest.raises(InvalidArgument) as error:
        read_usage_file(b"Month;Amount spent;Colour\n", this_month="2026-03")
    assert list(_problems(error)) == ["line 1: header"]
    assert len(error.value.violations) == 2  # the unknown column, no beneficiary column
    with pytest.raises(InvalidArgument) as error:
        read_usage_file(b"Employee number;Month;Amount spent\nE-1;2026-01;1\nE-2;2026-01;1\n",
                        this_month="2026-03", max_lines=1)  # fmt: skip
    assert error.value.reason == "CARD_USAGE_FILE_TOO_MANY_LINES"


def test_every_bad_line_is_named() -> None:
    data = (
        b"Employee number;Beneficiary id;Month;Amount spent\n"
        b"E 1;;2026-01;10\n"  # 2: bad number
        b";;2026-01;10\n"  # 3: nobody
        b"E-1;;2026-04;10\n"  # 4: a month to come
        b"E-1;;janvier;-3\n"  # 5: bad month, negative amount
        b"E-1;;2026-01\n"  # 6: a column short
        b"E-1;;2026-01;1,234\n"  # 7: more than 2 decimals
        b"E-9;;2026-01;1\n"  # 8: nobody has the number
        b";b-ghost;2026-01;1\n"  # 9: no such id
        b"E-2;b-ada;2026-01;1\n"  # 10: not this beneficiary's number
        b"E-1;;2026-02;5\n"  # 11: fine
        b";b-ada;2026-02;5\n"  # 12: Ada's February again
    )
    usage = read_usage_file(data, this_month="2026-03")
    with pytest.raises(InvalidArgument) as error:
        usage_records(usage, _known("ent-acme", {"E-1": ADA}), AT)
    assert error.value.reason == "CARD_USAGE_FILE_INVALID"
    assert list(_problems(error)) == [
        "line 2: employeeNumber",
        "line 3: employeeNumber",
        "line 4: month",
        "line 5: month",
        "line 5: amountSpent",
        "line 6: columns",
        "line 7: amountSpent",
        "line 8: employeeNumber",
        "line 9: beneficiaryId",
        "line 10: employeeNumber",
        "line 12: beneficiaryId",
    ]
    assert _problems(error)["line 4: month"] == "must not be in the future"
    assert _problems(error)["line 12: beneficiaryId"] == (
        "2026-02 of this beneficiary is already on line 11"
    )


def test_employee_numbers_need_the_account_and_ids_name_theirs() -> None:
    usage = read_usage_file(b"Employee number;Month;Amount spent\nE-1;2026-01;1\n",
                            this_month="2026-03")  # fmt: skip
    with pytest.raises(InvalidArgument) as error:
        usage_records(usage, KnownBeneficiaries("", {}, {}), AT)
    assert list(_problems(error)) == ["entityId"]
    usage = read_usage_file(b"Beneficiary id;Month;Amount spent\nb-ada;2026-01;1\n",
                            this_month="2026-03")  # fmt: skip
    [record] = usage_records(usage, _known(""), AT)
    assert (record.entity_id, record.employee_number, record.beneficiary_name) == (
        "ent-acme", "E-1", "Ada Lovelace",
    )  # fmt: skip
    with pytest.raises(InvalidArgument) as error:
        usage_records(usage, _known("ent-globex"), AT)
    assert list(_problems(error)) == ["line 2: beneficiaryId"]


def _usage(rows: list[str]) -> bytes:
    return ("Matricule;Mois;Montant dépensé\n" + "\n".join(rows) + "\n").encode()


async def _stats(world: World, date_from: str = "", date_to: str = "") -> dict:
    data = await statistics.load_statistics(world.deps, world.acme, date_from, date_to)
    return json.loads(convert.load_statistics_body(data, "")[1])


async def test_an_import_replaces_its_months_and_shows_next_to_the_loads(world: World) -> None:
    ada = await person(world, "E-1")
    bob = await person(world, "E-2", first_name="Bob", last_name="Martin")
    await loaded_order(world, [ada, bob], [10_000, 5_000])  # loaded 2026-03
    lines, months = await card_usage.import_card_usage(
        world.deps, world.operator, _usage(["E-1;2026-02;40,00", "E-1;2026-03;12,50",
                                            "E-2;2026-03;7"]), "ent-acme",
    )  # fmt: skip
    assert lines == 3
    assert [(m.month, m.beneficiaries, m.spent_cents, m.replaced) for m in months] == [
        ("2026-02", 1, 4000, False), ("2026-03", 2, 1950, False),
    ]  # fmt: skip
    # March again, corrected, without Bob: March is replaced, February kept.
    _, months = await card_usage.import_card_usage(
        world.deps, world.operator, _usage(["E-1;03/2026;20"]), "ent-acme"
    )
    assert [(m.month, m.spent_cents, m.replaced) for m in months] == [("2026-03", 2000, True)]
    stats = await _stats(world)
    assert stats["months"] == [
        {"month": "2026-02", "amountCents": "0", "loads": 0, "spentCents": "4000"},
        {"month": "2026-03", "amountCents": "15000", "loads": 2, "spentCents": "2000"},
    ]
    by_number = {b["employeeNumber"]: b for b in stats["beneficiaries"]}
    assert by_number["E-1"]["spentCents"] == "6000" and by_number["E-1"]["amountCents"] == "10000"
    assert "spentCents" not in by_number["E-2"]  # nothing imported for Bob any more
    # Usage counts by month: a range touching March shows March's whole figure.
    march = await _stats(world, "2026-03-15", "2026-03-31")
    assert [(m["month"], m.get("spentCents")) for m in march["months"]] == [("2026-03", "2000")]
    _, body = convert.load_statistics_body(
        await statistics.load_statistics(world.deps, world.acme, "", ""), "text/csv"
    )
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].endswith(";Loads;Spent (EUR)")
    assert "month;2026-02;;;0,00;0;40,00" in text and "month;2026-03;;;150,00;2;20,00" in text
    assert "beneficiary;;E-2;Bob Martin;50,00;1;\r" in text
    # Another account sees none of it.
    other = await statistics.load_statistics(world.deps, world.globex, "", "")
    assert other.months == {} and other.beneficiaries == {}


async def test_a_bad_file_writes_nothing_and_operators_only(world: World) -> None:
    ada = await person(world, "E-1")
    await card_usage.import_card_usage(world.deps, world.operator, _usage(["E-1;2026-01;5"]),
                                       "ent-acme")  # fmt: skip
    with pytest.raises(InvalidArgument) as error:
        await card_usage.import_card_usage(
            world.deps, world.operator, _usage(["E-1;2026-01;9", "E-404;2026-01;1"]), "ent-acme"
        )
    assert list(_problems(error)) == ["line 3: employeeNumber"]
    stats = await _stats(world)
    assert stats["months"][0]["spentCents"] == "500"  # the first import stands
    with pytest.raises(PermissionDenied):
        await card_usage.import_card_usage(world.deps, world.acme, _usage(["E-1;2026-01;5"]),
                                           "ent-acme")  # fmt: skip
    with pytest.raises(InvalidArgument):
        await card_usage.import_card_usage(world.deps, world.operator, b"", "ent-acme")
    # A beneficiary deleted since is still reached by id; not by number.
    await beneficiaries.delete_beneficiary(world.deps, world.acme, ada.id)
    by_id = f"Beneficiary id;Month;Amount spent\n{ada.id};2026-02;3\n".encode()
    lines, _ = await card_usage.import_card_usage(world.deps, world.operator, by_id, "")
    assert lines == 1
    with pytest.raises(InvalidArgument):
        await card_usage.import_card_usage(
            world.deps, world.operator, _usage(["E-1;2026-02;3"]), "ent-acme"
        )
