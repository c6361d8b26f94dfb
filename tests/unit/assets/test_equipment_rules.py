"""The park's rules without I/O: catalogue models, references, the operator's
park file and what importing it changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from portal_runtime.errors import InvalidArgument
from services.assets.domain.equipment import (
    Equipment,
    EquipmentModel,
    EquipmentStatus,
    Part,
    Site,
    SiteAddress,
    check_model,
    commissioning_problem,
    new_equipment,
    reference_key,
    reference_taken,
)
from services.assets.domain.equipment_file import (
    check_models,
    parse_equipment_file,
    plan_import,
)

from .equipment_fixtures import HEADER, KARCHER, NILFISK, PARK, park_file, row

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
MODELS = {
    KARCHER: EquipmentModel(KARCHER, "Kärcher", "HDS 8/18", (Part("6.414-770.0", "Filtre"),)),
    NILFISK: EquipmentModel(NILFISK, "Nilfisk", "SC450"),
}


def _ids():
    counter = itertools.count(1)
    return lambda: f"id-{next(counter)}"


# ---- models -------------------------------------------------------------------------------


def test_a_model_needs_brand_name_and_parts_with_unique_codes() -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_model(
            "kar-1",
            " ",
            "",
            [("p-1", "Filtre"), ("P-1 ", "Filtre bis"), ("", "Sans code"), ("p-2", "")],
        )
    assert refused.value.reason == "INVALID_MODEL"
    assert {v.field: v.description for v in refused.value.violations} == {
        "model.brand": "is required",
        "model.name": "is required",
        "model.parts[1].code": "P-1 is already model.parts[0]",
        "model.parts[2].code": "is required",
        "model.parts[3].label": "is required",
    }


def test_model_codes_are_upper_case_and_the_body_id_must_match_the_path() -> None:
    model = check_model(" kar-hds-8/18 ", "Kärcher", "HDS 8/18", [("6.414-770.0", "Filtre")])
    assert model.code == "KAR-HDS-8/18"
    assert model.part("6.414-770.0") == Part("6.414-770.0", "Filtre")
    assert model.default_machine_name == "Kärcher HDS 8/18"
    with pytest.raises(InvalidArgument) as refused:
        check_model("KAR-1", "Kärcher", "HDS", [], given_id="KAR-2")
    assert [v.field for v in refused.value.violations] == ["model.id"]


# ---- machines -----------------------------------------------------------------------------


def test_references_compare_without_case_or_blanks() -> None:
    assert reference_key(" hds 0001 ") == reference_key("HDS0001") == "HDS0001"
    assert reference_key("HDS-0001") != reference_key("HDS0001")


def test_commissioning_is_a_past_or_present_date() -> None:
    assert commissioning_problem("2026-03-10", TODAY) == (TODAY, "")
    assert commissioning_problem("2026-03-11", TODAY) == (None, "must not be in the future")
    assert commissioning_problem("10/03/2026", TODAY) == (None, "must be a date YYYY-MM-DD")


def test_a_duplicate_reference_names_the_machine_in_the_park() -> None:
    existing = Equipment("eq-1", "ent", KARCHER, "HDS-0001", "Nettoyeur atelier")
    refused = reference_taken(existing)
    assert refused.code == "ALREADY_EXISTS"
    assert "Nettoyeur atelier" in refused.message and "eq-1" in refused.message
    assert refused.metadata == {"equipmentId": "eq-1", "name": "Nettoyeur atelier"}


def test_maintenance_and_removal_moves() -> None:
    machine = new_equipment("eq-1", "ent", MODELS[KARCHER], "HDS-1", "", NOW)
    assert machine.name == "Kärcher HDS 8/18" and machine.describe() == "Kärcher HDS 8/18 HDS-1"
    assert machine.start_maintenance(NOW) and machine.status is EquipmentStatus.UNDER_MAINTENANCE
    assert machine.end_maintenance(NOW) and machine.status is EquipmentStatus.IN_SERVICE
    # Only a machine under maintenance goes back in service.
    machine.status = EquipmentStatus.OUT_OF_ORDER
    assert not machine.end_maintenance(NOW) and machine.status is EquipmentStatus.OUT_OF_ORDER
    assert machine.remove(NOW) and not machine.in_park and machine.removed_at == NOW
    # A removed machine stays removed.
    assert not machine.start_maintenance(NOW) and machine.status is EquipmentStatus.REMOVED
    assert not machine.remove(NOW)


# ---- the park file ------------------------------------------------------------------------


def test_the_file_is_read_with_french_headers_and_commas() -> None:
    header = ["Modèle", "Référence", "Nom", "Site", "Adresse", "Code postal", "Ville",
              "Date de mise en service", "Contrat", "État"]  # fmt: skip
    cells = ["kar-hds-8/18", "HDS 1", "Nettoyeur", "Atelier", "1 rue X", "69001", "Lyon",
             "2024-05-02", "CT-1", "en panne"]  # fmt: skip
    data = park_file([cells], header=header, separator=",")
    [machine] = parse_equipment_file(data, TODAY)
    assert machine.model_code == KARCHER and machine.reference == "HDS 1"
    assert machine.site_name == "Atelier"
    assert machine.address == SiteAddress(line1="1 rue X", postal_code="69001", city="Lyon")
    assert machine.commissioned_on == date(2024, 5, 2)
    assert machine.status is EquipmentStatus.OUT_OF_ORDER and machine.contract == "CT-1"


def test_every_bad_line_is_named() -> None:
    data = park_file(
        [
            PARK[0],
            row("", "", commissioned_on="2027-01-01"),
            row(KARCHER, "HDS-3", status="REMOVED", address="2 rue Y"),
            row(KARCHER, "hds- 0001"),
            row(KARCHER, "HDS-4", site="atelier", address="9 autre rue"),
            row(KARCHER, "HDS-5", commissioned_on="3/4/24"),
        ]
    )
    with pytest.raises(InvalidArgument) as refused:
        parse_equipment_file(data, TODAY)
    assert refused.value.reason == "EQUIPMENT_FILE_INVALID"
    assert {v.field: v.description for v in refused.value.violations} == {
        "line 3: model": "is required",
        "line 3: reference": "is required",
        "line 3: commissionedOn": "must not be in the future",
        "line 4: status": "must be IN_SERVICE, OUT_OF_ORDER or UNDER_MAINTENANCE",
        "line 4: site": "is required when an address is given",
        "line 5: reference": "is already on line 2",
        "line 6: address": "site 'atelier' has another address on line 2",
        "line 7: commissionedOn": "must be a date YYYY-MM-DD",
    }


def test_a_file_without_its_required_columns_or_lines_is_refused() -> None:
    with pytest.raises(InvalidArgument) as no_columns:
        parse_equipment_file(park_file([["x"]], header=["Name"]), TODAY)
    assert {v.field for v in no_columns.value.violations} == {"line 1: header"}
    with pytest.raises(InvalidArgument) as empty:
        parse_equipment_file(park_file([], header=HEADER), TODAY)
    assert empty.value.reason == "EQUIPMENT_FILE_EMPTY"


def test_models_must_be_in_the_catalogue() -> None:
    lines = parse_equipment_file(park_file([PARK[0], row("TELEX-1", "T-1")]), TODAY)
    with pytest.raises(InvalidArgument) as refused:
        check_models(lines, MODELS)
    assert {v.field: v.description for v in refused.value.violations} == {
        "line 3: model": "no model 'TELEX-1' in the catalogue"
    }


def test_importing_creates_machines_and_sites_and_updates_known_references() -> None:
    lines = parse_equipment_file(park_file(PARK), TODAY)
    plan = plan_import("ent", lines, MODELS, {}, {}, _ids(), NOW)
    assert [m.reference for m in plan.new_machines] == ["HDS-0001", "HDS-0002", "SC-9001"]
    first, second, third = plan.new_machines
    # Two lines on one site share it; a blank name is the model's.
    assert [s.name for s in plan.new_sites] == ["Atelier", "Entrepôt"]
    assert first.site_id == second.site_id == plan.new_sites[0].id
    assert second.name == "Kärcher HDS 8/18" and second.status is EquipmentStatus.OUT_OF_ORDER
    assert third.status is EquipmentStatus.IN_SERVICE and third.brand == "Nilfisk"

    # Again with changes: the known reference (typed otherwise) updates its
    # machine, blank cells keep its values, a known site takes the new address.
    atelier = Site("site-1", "ent", "Atelier", SiteAddress(line1="1 rue des Forges", country="FR"))
    again = parse_equipment_file(
        park_file([row(NILFISK, "hds-0001", site="ATELIER", address="3 quai Est", city="Lyon")]),
        TODAY,
    )
    known = {first.reference_key: first}
    plan = plan_import("ent", again, MODELS, known, {"atelier": atelier}, _ids(), NOW)
    assert plan.new_machines == [] and plan.updated_machines == [first]
    assert first.reference == "hds-0001"
    assert first.model_code == NILFISK and first.brand == "Nilfisk"
    assert first.name == "Nettoyeur atelier" and first.contract == "CT-77"
    assert first.commissioned_on == date(2024, 5, 2)
    assert first.site_id == "site-1"
    assert plan.updated_sites == [atelier]
    assert atelier.address == SiteAddress(line1="3 quai Est", city="Lyon", country="FR")
