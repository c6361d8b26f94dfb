"""The catalogue and park files the equipment and service-request tests run on."""

from __future__ import annotations

from services.assets.usecases import equipment as usecases

HEADER = [
    "Model",
    "Reference",
    "Name",
    "Site",
    "Address",
    "Postal code",
    "City",
    "Commissioned on",
    "Contract",
    "Status",
]
KARCHER = "KAR-HDS-8/18"
NILFISK = "NIL-SC450"
KARCHER_PARTS = [("6.414-770.0", "Filtre à carburant"), ("4.767-017.0", "Buse haute pression")]
NILFISK_PARTS = [("9100002", "Brosse rouleau")]


def row(
    model: str,
    reference: str,
    name: str = "",
    site: str = "",
    address: str = "",
    postal_code: str = "",
    city: str = "",
    commissioned_on: str = "",
    contract: str = "",
    status: str = "",
) -> list[str]:
    return [
        model,
        reference,
        name,
        site,
        address,
        postal_code,
        city,
        commissioned_on,
        contract,
        status,
    ]


def park_file(rows: list[list[str]], *, header: list[str] = HEADER, separator: str = ";") -> bytes:
    text = "\r\n".join(separator.join(cells) for cells in [header, *rows]) + "\r\n"
    return b"\xef\xbb\xbf" + text.encode()


PARK = [
    row(
        KARCHER,
        "HDS-0001",
        "Nettoyeur atelier",
        "Atelier",
        "1 rue des Forges",
        "69001",
        "Lyon",
        "2024-05-02",
        "CT-77",
    ),
    row(KARCHER, "HDS-0002", "", "Atelier", "", "", "", "", "CT-77", "OUT_OF_ORDER"),
    row(NILFISK, "SC-9001", "Autolaveuse hall", "Entrepôt", "ZI Nord", "69100", "Villeurbanne"),
]


async def load_catalogue(world) -> None:
    await usecases.put_model(
        world.deps, world.operator, KARCHER, brand="Kärcher", name="HDS 8/18", parts=KARCHER_PARTS
    )
    await usecases.put_model(
        world.deps, world.operator, NILFISK, brand="Nilfisk", name="SC450", parts=NILFISK_PARTS
    )


async def load_park(world, entity_id: str = "ent-acme") -> dict[str, str]:
    """The catalogue and PARK imported for the entity: reference -> machine id."""
    await load_catalogue(world)
    await usecases.import_equipment(world.deps, world.operator, park_file(PARK), entity_id)
    principal = world.acme if entity_id == "ent-acme" else world.globex
    found, _ = await usecases.list_equipment(world.deps, principal)
    return {machine.reference: machine.id for machine in found}
