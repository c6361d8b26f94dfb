from __future__ import annotations

import pytest

from portal_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument
from services.ordering.domain.delivery_points import (
    Address,
    ensure_code_unique,
    ensure_deletable,
    validate_delivery_point,
)

ADDRESS = Address(line1=" 1 rue de la Paix ", postal_code="75002", city="Paris", country="fr")


def test_valid_point_is_normalised() -> None:
    p = validate_delivery_point(name=" Siège  - accueil ", code=" hq-1 ", address=ADDRESS)
    assert p.name == "Siège - accueil"
    assert p.code == "HQ-1"
    assert p.address.line1 == "1 rue de la Paix"
    assert p.address.country == "FR"


def test_every_missing_field_is_reported() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        validate_delivery_point(
            name="", code="", address=Address(line1="", postal_code="", city="", country="")
        )
    assert {v.field for v in excinfo.value.violations} == {
        "name",
        "code",
        "address.line1",
        "address.postalCode",
        "address.city",
        "address.country",
    }


@pytest.mark.parametrize("country", ["FRA", "F", "1A"])
def test_country_must_be_iso2(country: str) -> None:
    bad = Address(line1="1 rue", postal_code="1000", city="X", country=country)
    with pytest.raises(InvalidArgument) as excinfo:
        validate_delivery_point(name="A", code="A", address=bad)
    assert [v.field for v in excinfo.value.violations] == ["address.country"]


def test_code_syntax() -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        validate_delivery_point(name="A", code="a b", address=ADDRESS)
    assert [v.field for v in excinfo.value.violations] == ["code"]


def test_code_uniqueness_is_named() -> None:
    ensure_code_unique("HQ", taken=False)
    with pytest.raises(AlreadyExists) as excinfo:
        ensure_code_unique("HQ", taken=True)
    assert excinfo.value.reason == "DELIVERY_POINT_CODE_TAKEN"


def test_deletion_refused_when_an_open_order_uses_it() -> None:
    ensure_deletable(used_by_open_order=False)
    with pytest.raises(FailedPrecondition) as excinfo:
        ensure_deletable(used_by_open_order=True)
    assert excinfo.value.reason == "DELIVERY_POINT_IN_USE"
