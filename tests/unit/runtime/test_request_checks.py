"""Every request is refused, naming the field, when its text holds a control
character or an enum holds a value the API does not define."""

from __future__ import annotations

import pytest

from portal.ordering.v1 import ordering_pb2 as pb
from portal_runtime.errors import FieldViolation, InvalidArgument
from portal_runtime.request_checks import CONTROL_CHARACTERS, check_request, request_violations


def test_a_clean_request_passes() -> None:
    request = pb.CreateOrderRequest(
        delivery_point_id="dp-1",
        lines=[pb.OrderLineInput(beneficiary_id="b\t1", load_amount_cents=100)],
    )
    check_request(request)
    check_request(pb.CreateBeneficiaryRequest(beneficiary=pb.Beneficiary(last_name="Line\r\nTwo")))


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x0b"])
def test_control_characters_are_refused_with_the_json_path(char: str) -> None:
    request = pb.CreateOrderRequest(
        delivery_point_id="dp-1",
        lines=[
            pb.OrderLineInput(beneficiary_id="ok", load_amount_cents=100),
            pb.OrderLineInput(beneficiary_id=f"b{char}2", load_amount_cents=100),
        ],
    )
    with pytest.raises(InvalidArgument) as caught:
        check_request(request)
    assert caught.value.violations == [FieldViolation("lines[1].beneficiaryId", CONTROL_CHARACTERS)]


def test_nested_message_fields_are_named() -> None:
    request = pb.CreateBeneficiaryRequest(beneficiary=pb.Beneficiary(first_name="Ann\x00"))
    assert request_violations(request) == [
        FieldViolation("beneficiary.firstName", CONTROL_CHARACTERS)
    ]


def test_an_unknown_enum_value_is_refused() -> None:
    request = pb.ListOrdersRequest(status=99)
    with pytest.raises(InvalidArgument) as caught:
        check_request(request)
    [violation] = caught.value.violations
    assert violation.field == "status"
    assert "ORDER_STATUS_PAID" in violation.description
    assert "UNSPECIFIED" not in violation.description
    check_request(pb.ListOrdersRequest(status=pb.ORDER_STATUS_PAID))
