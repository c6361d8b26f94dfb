"""The catalogue file: rows grouped into models (brand and name agreeing, part
codes unique), every bad line named, and its import replacing each model it
names whole, or writing nothing."""

from __future__ import annotations

import pytest

from portal_runtime.errors import InvalidArgument, PermissionDenied
from services.assets.domain.equipment import MAX_CODE, MAX_TEXT, Part
from services.assets.domain.models_file import parse_models_file
from services.assets.usecases import equipment as usecases

from .conftest import World
from .equipment_fixtures import KARCHER, NILFISK, load_catalogue

HEADER = "Model code;Brand;Model;Part code;Part label"
CATALOGUE = [
    f"{KARCHER};Kärcher;HDS 8/18;6.414-770.0;Filtre à carburant",
    f"{KARCHER};Kärcher;HDS 8/18;4.767-017.0;Buse haute pression",
    f"{NILFISK};Nilfisk;SC450;;",
]


def models_file(lines: list[str], header: str = HEADER) -> bytes:
    return ("\ufeff" + "\r\n".join([header, *lines]) + "\r\n").encode()


def problems(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.description for v in error.value.violations}


# ---- the file -------------------------------------------------------------------------------


def test_rows_are_grouped_into_models_with_their_parts_in_order() -> None:
    read = parse_models_file(models_file(CATALOGUE))
    assert read.lines == 3
    karcher, nilfisk = read.models
    assert (karcher.code, karcher.brand, karcher.name) == (KARCHER, "Kärcher", "HDS 8/18")
    assert karcher.parts == (
        Part("6.414-770.0", "Filtre à carburant"),
        Part("4.767-017.0", "Buse haute pression"),
    )
    # A row with empty part cells: a model without parts.
    assert (nilfisk.code, nilfisk.parts) == (NILFISK, ())


def test_french_headers_commas_windows_1252_and_spacing_are_read() -> None:
    text = (
        "Code modèle,Marque,Modèle,Réf. pièce,Libellé pièce\r\n"
        " kar-x , Kärcher ,  HDS   9 , p-1 , Joint   torique \r\n"
        "\r\n"
        "kar-x,Kärcher,HDS 9,P-2,Pompe\r\n"
    )
    read = parse_models_file(text.encode("cp1252"))
    (model,) = read.models
    assert (model.code, model.brand, model.name) == ("KAR-X", "Kärcher", "HDS 9")
    assert model.parts == (Part("P-1", "Joint torique"), Part("P-2", "Pompe"))
    assert read.lines == 2


def test_every_bad_line_is_named_and_nothing_is_read() -> None:
    data = models_file(
        [
            *CATALOGUE,
            f"{KARCHER};Karcher;HDS 8/18;9.999;Autre",  # line 5: another brand
            f"{KARCHER};Kärcher;HDS 8-18;9.998;Autre",  # line 6: another name
            f"{KARCHER};Kärcher;HDS 8/18;6.414-770.0;Filtre",  # line 7: part again
            ";Kärcher;;P;",  # line 8: no code, no name, no label
            f"{'X' * (MAX_CODE + 1)};B;N;{'P' * (MAX_CODE + 1)};{'L' * (MAX_TEXT + 1)}",
            f"{NILFISK};Nilfisk;SC450;;Brosse",  # line 10: a label without its code
        ]
    )
    with pytest.raises(InvalidArgument) as refused:
        parse_models_file(data)
    assert refused.value.reason == "MODELS_FILE_INVALID"
    assert problems(refused) == {
        "line 5: brand": f"must be 'Kärcher', the brand of model {KARCHER} on line 2",
        "line 6: model": f"must be 'HDS 8/18', the name of model {KARCHER} on line 2",
        "line 7: partCode": f"6.414-770.0 is already a part of model {KARCHER} on line 2",
        "line 8: modelCode": "is required",
        "line 8: model": "is required",
        "line 8: partLabel": "is required",
        "line 9: modelCode": f"must be at most {MAX_CODE} characters",
        "line 9: partCode": f"must be at most {MAX_CODE} characters",
        "line 9: partLabel": f"must be at most {MAX_TEXT} characters",
        "line 10: partCode": "is required",
    }


def test_a_part_code_may_be_on_two_models() -> None:
    read = parse_models_file(models_file(["A;B;N;P-1;Joint", "C;B;M;P-1;Joint", "A;B;N;P-2;Pompe"]))
    assert {m.code: [p.code for p in m.parts] for m in read.models} == {
        "A": ["P-1", "P-2"],
        "C": ["P-1"],
    }


def test_every_column_is_required_and_the_file_has_lines() -> None:
    # Without the part columns every model named would lose its parts list.
    with pytest.raises(InvalidArgument) as no_parts:
        parse_models_file(models_file(["A;B;N"], header="Model code;Brand;Model"))
    assert no_parts.value.reason == "MODELS_FILE_INVALID"
    assert [(v.field, v.description) for v in no_parts.value.violations] == [
        ("line 1: header", "needs a 'partCode' column"),
        ("line 1: header", "needs a 'partLabel' column"),
    ]
    for data, reason in (
        (b"", "REQUIRED_FIELD"),
        (models_file([]), "MODELS_FILE_EMPTY"),
        (models_file([";;;;", ""]), "MODELS_FILE_EMPTY"),
    ):
        with pytest.raises(InvalidArgument) as refused:
            parse_models_file(data)
        assert refused.value.reason == reason


# ---- the import -----------------------------------------------------------------------------


async def test_a_model_of_the_file_replaces_the_stored_one_whole(world: World) -> None:
    await load_catalogue(world)
    done = await usecases.import_models(
        world.deps,
        world.operator,
        models_file([*CATALOGUE, "TEN-T5;Tennant;T5;B-1;Brosse"]),
    )
    assert (done.lines, done.created, done.updated) == (4, 1, 2)
    nilfisk = await usecases.get_model(world.deps, world.acme, NILFISK)
    # The stored Nilfisk had a brush: the file says it has no parts.
    assert nilfisk.parts == ()
    assert nilfisk.updated_at == world.clock()

    world.clock.advance(days=1)
    again = await usecases.import_models(
        world.deps, world.operator, models_file([f"{KARCHER};Kärcher;HDS 8/18 M;P-9;Pompe"])
    )
    assert (again.lines, again.created, again.updated) == (1, 0, 1)
    karcher = await usecases.get_model(world.deps, world.acme, KARCHER)
    assert (karcher.name, karcher.parts) == ("HDS 8/18 M", (Part("P-9", "Pompe"),))
    # Models the file does not name stay as they are.
    tennant = await usecases.get_model(world.deps, world.acme, "TEN-T5")
    assert tennant.parts == (Part("B-1", "Brosse"),)


async def test_a_bad_file_writes_nothing(world: World) -> None:
    await load_catalogue(world)
    before = await usecases.list_models(world.deps, world.acme)
    with pytest.raises(InvalidArgument):
        await usecases.import_models(
            world.deps,
            world.operator,
            models_file([f"{NILFISK};Nilfisk;SC450;;", "NEW-1;;N;;"]),
        )
    assert await usecases.list_models(world.deps, world.acme) == before
    assert (await usecases.get_model(world.deps, world.acme, NILFISK)).parts != ()


async def test_only_operators_import_models(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await usecases.import_models(world.deps, world.acme, models_file(CATALOGUE))
    with pytest.raises(InvalidArgument) as empty:
        await usecases.import_models(world.deps, world.operator, b"")
    assert problems(empty) == {"file": "is required"}
