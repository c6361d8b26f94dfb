"""Small builders shared by ordering's use-case tests."""

from __future__ import annotations

from portal_runtime.tokens import Principal
from services.ordering.usecases import beneficiaries as catalog
from services.ordering.usecases import delivery_points as points
from services.ordering.usecases import orders

from .conftest import World

HEADER = (
    "Matricule;Nom;Prénom;Email;Date de naissance;Code point de livraison;Nouvelle carte;Montant"
)


async def point(world: World, who: Principal | None = None, code: str = "HQ"):
    return await points.create_delivery_point(
        world.deps,
        who or world.acme,
        points.DeliveryPointInput(
            name="Head office", code=code, line1="1 rue de la Paix", postal_code="75002",
            city="Paris", country="fr",
        ),
    )  # fmt: skip


async def person(world: World, number: str = "E-1", who: Principal | None = None, **extra):
    values = {"first_name": "Ada", "last_name": "Lovelace", **extra}
    return await catalog.create_beneficiary(
        world.deps, who or world.acme, catalog.BeneficiaryInput(employee_number=number, **values)
    )


async def draft(world: World, amounts=(5000,), new_card: bool = True):
    hq = await point(world)
    people = [await person(world, f"E-{i}") for i, _ in enumerate(amounts)]
    lines = [
        orders.LineInput(p.id, new_card, amount) for p, amount in zip(people, amounts, strict=True)
    ]
    return await orders.create_order(world.deps, world.acme, hq.id, lines), hq, people


def order_file(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def file_row(number: str, amount: str = "50,00", code: str = "HQ", new: str = "oui") -> str:
    return f"{number};Durand;Léa;lea.{number.lower()}@example.com;1990-05-17;{code};{new};{amount}"
