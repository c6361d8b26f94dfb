"""The catalogue's rules: which option fits which plan, which exclude each other,
which need another; what a change on a line's options may do; and what an
operator may put in the catalogue (every problem named by its API field)."""

from __future__ import annotations

import pytest

from portal_runtime.errors import InvalidArgument, PermissionDenied
from services.fleet.domain.catalogue import (
    MAX_PRICE_CENTS,
    Catalogue,
    CatalogueOption,
    OptionType,
    PriceKind,
    change_problems,
    new_option,
    new_plan,
)
from services.fleet.domain.lines import LineStatus
from services.fleet.usecases import catalogue as catalogue_usecases
from services.fleet.usecases import requests

from .conftest import World
from .fakes import import_lines, line_of, sample_catalogue
from .helpers import line_row

CATALOGUE = sample_catalogue()


def problems(plan: str, current: set[str], activate=(), deactivate=()) -> list[str]:
    return change_problems(CATALOGUE, plan, frozenset(current), activate, deactivate)


def fields(error: InvalidArgument) -> dict[str, str]:
    return {v.field: v.description for v in error.violations}


# ---- fitting plans ------------------------------------------------------------------


def test_an_option_fits_the_plans_it_lists_and_only_those() -> None:
    data_20 = CATALOGUE.options["DATA_20GB"]  # lists BUS_L
    assert data_20.fits("BUS_L")
    assert not data_20.fits("BUS_M")
    assert problems("BUS_L", set(), ["DATA_20GB"]) == []
    assert problems("BUS_M", set(), ["DATA_20GB"]) == ["DATA_20GB is not available on plan BUS_M"]


def test_an_option_listing_no_plan_fits_every_plan() -> None:
    roaming = CATALOGUE.options["ROAMING"]
    assert roaming.plans == frozenset()
    for plan in ("BUS_M", "BUS_L", "DATA_ONLY", "A_PLAN_ADDED_LATER"):
        assert roaming.fits(plan)
        assert problems(plan, set(), ["ROAMING"]) == []


# ---- exclusions ---------------------------------------------------------------------


def test_options_exclude_each_other_whichever_side_declares_it() -> None:
    declares = CatalogueOption("A", OptionType.DATA, "A", excludes=frozenset({"B"}))
    silent = CatalogueOption("B", OptionType.DATA, "B")
    catalogue = Catalogue({}, {"A": declares, "B": silent})
    assert catalogue.excluded_pairs(["A", "B"]) == [("A", "B")]
    assert catalogue.excluded_pairs(["B", "A", "A"]) == [("A", "B")]  # each pair once
    # The line has the silent side and takes the declaring one, and the reverse.
    assert change_problems(catalogue, "P", frozenset({"B"}), ["A"], []) == [
        "A and B exclude each other"
    ]
    assert change_problems(catalogue, "P", frozenset({"A"}), ["B"], []) == [
        "A and B exclude each other"
    ]


def test_a_data_bundle_excludes_the_other_on_the_line_or_in_the_same_change() -> None:
    # DATA_20GB declares the exclusion, DATA_5GB does not.
    refused = ["DATA_20GB and DATA_5GB exclude each other"]
    assert problems("BUS_L", {"DATA_5GB"}, ["DATA_20GB"]) == refused
    assert problems("BUS_L", {"DATA_20GB"}, ["DATA_5GB"]) == refused
    assert problems("BUS_L", set(), ["DATA_5GB", "DATA_20GB"]) == refused
    # Swapping one for the other in one change is fine.
    assert problems("BUS_L", {"DATA_5GB"}, ["DATA_20GB"], ["DATA_5GB"]) == []


# ---- requirements -------------------------------------------------------------------


def test_an_option_needing_another_is_refused_alone() -> None:
    assert problems("BUS_M", {"SMS_100"}, ["ROAM_EU"]) == [
        "ROAM_EU needs one of DATA_20GB, DATA_5GB"
    ]


def test_the_required_option_may_be_on_the_line_or_taken_in_the_same_change() -> None:
    assert problems("BUS_M", {"DATA_5GB"}, ["ROAM_EU"]) == []
    assert problems("BUS_M", set(), ["ROAM_EU", "DATA_5GB"]) == []
    assert problems("BUS_L", set(), ["DATA_20GB", "ROAM_EU"]) == []


def test_removing_the_last_required_option_while_keeping_the_dependant_is_refused() -> None:
    assert problems("BUS_M", {"DATA_5GB", "ROAM_EU"}, [], ["DATA_5GB"]) == [
        "ROAM_EU needs one of DATA_20GB, DATA_5GB"
    ]
    # Removing both, or replacing the requirement by another, is fine.
    assert problems("BUS_M", {"DATA_5GB", "ROAM_EU"}, [], ["DATA_5GB", "ROAM_EU"]) == []
    assert problems("BUS_L", {"DATA_5GB", "ROAM_EU"}, ["DATA_20GB"], ["DATA_5GB"]) == []
    # Removing one of two that satisfy it leaves the other.
    catalogue = Catalogue(
        {},
        {
            "X": CatalogueOption("X", OptionType.OTHER, "X", requires_one_of=frozenset({"Y", "Z"})),
            "Y": CatalogueOption("Y", OptionType.OTHER, "Y"),
            "Z": CatalogueOption("Z", OptionType.OTHER, "Z"),
        },
    )
    assert change_problems(catalogue, "P", frozenset({"X", "Y", "Z"}), [], ["Y"]) == []


# ---- already active / not active -----------------------------------------------------


def test_activating_an_active_option_or_deactivating_an_absent_one_is_refused() -> None:
    assert problems("BUS_M", {"SMS_100"}, ["SMS_100"]) == ["SMS_100 is already active"]
    assert problems("BUS_M", {"SMS_100"}, [], ["ROAMING"]) == ["ROAMING is not active on this line"]


# ---- the operator's data ------------------------------------------------------------


def test_conflicts_the_line_already_had_are_not_blamed_on_the_change() -> None:
    # Imported with both data bundles (they exclude each other): adding an
    # unrelated option is not refused for them.
    assert problems("BUS_L", {"DATA_5GB", "DATA_20GB"}, ["SMS_100"]) == []
    # Imported with the roaming pass and no data: same.
    assert problems("BUS_M", {"ROAM_EU"}, ["SMS_100"]) == []
    # Imported with an option its plan does not take: same.
    assert problems("BUS_M", {"DATA_20GB"}, ["SMS_100"]) == []
    # And removing one side of the old conflict is fine too.
    assert problems("BUS_L", {"DATA_5GB", "DATA_20GB"}, [], ["DATA_5GB"]) == []


def test_a_new_conflict_is_refused_even_on_a_line_with_an_old_one() -> None:
    catalogue = Catalogue(
        {},
        {
            "A": CatalogueOption("A", OptionType.OTHER, "A", excludes=frozenset({"B", "C"})),
            "B": CatalogueOption("B", OptionType.OTHER, "B"),
            "C": CatalogueOption("C", OptionType.OTHER, "C"),
        },
    )
    assert change_problems(catalogue, "P", frozenset({"A", "B"}), ["C"], []) == [
        "A and C exclude each other"
    ]


def test_every_problem_of_a_change_is_named() -> None:
    found = problems("BUS_M", {"SMS_100"}, ["SMS_100", "DATA_20GB", "ROAM_EU"], ["ROAMING"])
    assert found == [
        "SMS_100 is already active",
        "DATA_20GB is not available on plan BUS_M",
        "ROAMING is not active on this line",
    ]


def test_what_a_line_may_take_now_says_why_not() -> None:
    def refusal(status: LineStatus, options: set[str], code: str) -> str | None:
        ok = status in (LineStatus.ACTIVE, LineStatus.PREPAID)
        return CATALOGUE.option_refusal("BUS_M", ok, status.value, options, code)

    assert refusal(LineStatus.ACTIVE, {"DATA_5GB"}, "ROAM_EU") is None
    assert (
        refusal(LineStatus.ACTIVE, set(), "ROAM_EU") == "ROAM_EU needs one of DATA_20GB, DATA_5GB"
    )
    # Dropping an option it has: refused when another needs it.
    assert refusal(LineStatus.ACTIVE, {"DATA_5GB", "ROAM_EU"}, "DATA_5GB") == (
        "ROAM_EU needs one of DATA_20GB, DATA_5GB"
    )
    assert refusal(LineStatus.ACTIVE, {"DATA_5GB", "ROAM_EU"}, "ROAM_EU") is None
    suspended = refusal(LineStatus.SUSPENDED, {"DATA_5GB"}, "SMS_100")
    assert suspended is not None and "SUSPENDED" in suspended


# ---- the rules on a real request ------------------------------------------------------


async def test_a_change_breaking_a_rule_is_refused_naming_each_line(world: World) -> None:
    first, second = await import_lines(
        world,
        [
            line_row("0470 00 00 01", 1, options="DATA_5GB|ROAM_EU"),
            line_row("0470 00 00 02", 2, options="ROAM_EU"),  # operator's data: no data
        ],
    )
    with pytest.raises(InvalidArgument) as refused:
        await requests.create_option_change(
            world.deps, world.acme, [first.id, second.id], [], ["DATA_5GB"]
        )
    assert refused.value.reason == "LINE_CHANGE_REFUSED"
    # The first loses ROAM_EU's requirement; the second never had it.
    assert [(v.field, v.description) for v in refused.value.violations] == [
        ("lineIds[0]", "line 0470 00 00 01: ROAM_EU needs one of DATA_20GB, DATA_5GB"),
        ("lineIds[1]", "line 0470 00 00 02: DATA_5GB is not active on this line"),
    ]
    # Preview refuses exactly as confirming does; neither marks the lines busy.
    with pytest.raises(InvalidArgument) as previewed:
        await requests.preview_option_change(
            world.deps, world.acme, [first.id, second.id], [], ["DATA_5GB"]
        )
    assert previewed.value.violations == refused.value.violations
    assert (await line_of(world, first)).pending_request_id == ""


async def test_options_shown_for_a_line_say_which_it_may_take(world: World) -> None:
    (line,) = await import_lines(world, [line_row("0470 00 00 01", 1, options="DATA_5GB")])
    shown = {
        o.option.code: o
        for o in await catalogue_usecases.list_options(world.deps, world.acme, line_id=line.id)
    }
    assert shown["ROAM_EU"].available and not shown["ROAM_EU"].active_on_line
    assert shown["DATA_5GB"].active_on_line and shown["DATA_5GB"].available  # may drop it
    assert not shown["DATA_20GB"].available
    assert shown["DATA_20GB"].unavailable_reason == ("DATA_20GB is not available on plan BUS_M")


# ---- the operator's catalogue: plans ------------------------------------------------------


def test_a_plan_is_normalised() -> None:
    plan = new_plan(" bus_xl ", "  Business   XL ", " Mobile ", 4500, 2000)
    assert (plan.code, plan.name, plan.product, plan.monthly_cents, plan.vat_bp) == (
        "BUS_XL",
        "Business XL",
        "Mobile",
        4500,
        2000,
    )


def test_a_bad_plan_names_every_field_by_its_api_name() -> None:
    with pytest.raises(InvalidArgument) as refused:
        new_plan("BUS M", " ", "", -1, 10_001)
    assert refused.value.reason == "PLAN_INVALID"
    assert set(fields(refused.value)) == {
        "code",
        "plan.name",
        "plan.product",
        "plan.monthlyCents",
        "plan.vatBp",
    }


@pytest.mark.parametrize("code", ["A", "X" * 40, "ROAM-EU_2", "5G", "roam_eu"])
def test_codes_accepted(code: str) -> None:
    assert new_plan(code, "Name", "Mobile", 0, 0).code == code.upper()


@pytest.mark.parametrize(
    "code", ["", "   ", "X" * 41, "ROAM EU", "ROAM.EU", "ROAM/EU", "ÉTÉ", "ROAM\tEU"]
)
def test_codes_refused(code: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        new_plan(code, "Name", "Mobile", 0, 0)
    assert list(fields(refused.value)) == ["code"]


@pytest.mark.parametrize("code", ["STRA\u00dfE", "roam\u0131ng"])
def test_a_code_with_letters_outside_a_to_z_is_refused(code: str) -> None:
    with pytest.raises(InvalidArgument):
        new_plan(code, "Name", "Mobile", 0, 0)


# Billing invoices only the French rates (0, 2.1, 5.5, 10 and 20 %): the
# catalogue takes no other, so that every one-off charge can be invoiced.
@pytest.mark.parametrize("vat_bp", [0, 210, 550, 1000, 2000])
def test_vat_rates_billing_invoices_are_accepted(vat_bp: int) -> None:
    assert new_plan("P", "Name", "Mobile", 0, vat_bp).vat_bp == vat_bp


@pytest.mark.parametrize("vat_bp", [-1, 600, 2100, 10_000, 10_001])
def test_other_vat_rates_are_refused(vat_bp: int) -> None:
    with pytest.raises(InvalidArgument) as refused:
        new_plan("P", "Name", "Mobile", 0, vat_bp)
    assert list(fields(refused.value)) == ["plan.vatBp"]
    with pytest.raises(InvalidArgument) as refused:
        option(vat_bp=vat_bp)
    assert list(fields(refused.value)) == ["option.vatBp"]


@pytest.mark.parametrize("cents", [-1, MAX_PRICE_CENTS + 1])
def test_prices_outside_the_bounds_are_refused(cents: int) -> None:
    with pytest.raises(InvalidArgument) as refused:
        new_plan("P", "Name", "Mobile", cents, 0)
    assert list(fields(refused.value)) == ["plan.monthlyCents"]
    assert new_plan("P", "Name", "Mobile", MAX_PRICE_CENTS, 0).monthly_cents == MAX_PRICE_CENTS


def test_a_plan_name_has_a_limit() -> None:
    with pytest.raises(InvalidArgument) as refused:
        new_plan("P", "n" * 201, "Mobile", 0, 0)
    assert list(fields(refused.value)) == ["plan.name"]


# ---- the operator's catalogue: options ----------------------------------------------------


def option(**changes):
    described = {
        "code": "ROAM_WORLD",
        "type": OptionType.ROAMING,
        "name": "Roaming world",
        "description": "",
        "price_cents": 2500,
        "price_kind": PriceKind.ONE_OFF,
        "vat_bp": 2000,
        "plans": [],
        "excludes": [],
        "requires_one_of": [],
        "known_plans": CATALOGUE.plans,
        "known_options": CATALOGUE.options,
    }
    return new_option(**{**described, **changes})


def test_an_option_names_known_plans_and_options() -> None:
    made = option(
        code="roam_world",
        plans=["bus_l", "BUS_M"],
        excludes=["ROAM_EU"],
        requires_one_of=["data_5gb", "DATA_20GB"],
    )
    assert made.code == "ROAM_WORLD"
    assert made.plans == {"BUS_L", "BUS_M"}
    assert made.excludes == {"ROAM_EU"}
    assert made.requires_one_of == {"DATA_5GB", "DATA_20GB"}
    assert made.one_off_cents == 2500 and made.monthly_cents == 0


def test_a_bad_option_names_every_field_by_its_api_name() -> None:
    with pytest.raises(InvalidArgument) as refused:
        option(
            code="roam world",
            type=None,
            name="",
            description="d" * 2001,
            price_cents=-5,
            price_kind=None,
            vat_bp=-1,
            plans=["BUS_M", "BUS_XXL"],
            excludes=["NOPE"],
            requires_one_of=["DATA_5GB", "MISSING"],
        )
    assert refused.value.reason == "OPTION_INVALID"
    found = fields(refused.value)
    assert set(found) == {
        "code",
        "option.type",
        "option.name",
        "option.description",
        "option.priceCents",
        "option.priceKind",
        "option.vatBp",
        "option.plans[1]",
        "option.excludes[0]",
        "option.requiresOneOf[1]",
    }
    assert found["option.plans[1]"] == "no plan 'BUS_XXL' in the catalogue"
    assert found["option.excludes[0]"] == "no option 'NOPE' in the catalogue"
    assert found["option.requiresOneOf[1]"] == "no option 'MISSING' in the catalogue"


def test_an_option_cannot_require_and_exclude_the_same() -> None:
    with pytest.raises(InvalidArgument) as refused:
        option(excludes=["DATA_5GB"], requires_one_of=["DATA_5GB", "DATA_20GB"])
    assert fields(refused.value) == {
        "option.requiresOneOf": "cannot both require and exclude DATA_5GB"
    }


def test_an_option_does_not_name_itself() -> None:
    # Replacing ROAM_EU: it is a known option, but not one it may exclude.
    with pytest.raises(InvalidArgument) as refused:
        option(code="ROAM_EU", excludes=["ROAM_EU"])
    assert list(fields(refused.value)) == ["option.excludes[0]"]


async def test_only_operators_keep_the_catalogue_and_a_bad_option_is_not_stored(
    world: World,
) -> None:
    with pytest.raises(PermissionDenied):
        await catalogue_usecases.put_plan(
            world.deps, world.acme, "FREE", name="Free", product="Mobile", monthly_cents=0, vat_bp=0
        )
    with pytest.raises(InvalidArgument) as refused:
        await catalogue_usecases.put_option(
            world.deps,
            world.operator,
            "ROAM_US",
            type=OptionType.ROAMING,
            name="Roaming US",
            description="",
            price_cents=900,
            price_kind=PriceKind.ONE_OFF,
            vat_bp=2000,
            plans=["BUS_M", "GOLD"],
            excludes=[],
            requires_one_of=[],
        )
    assert list(fields(refused.value)) == ["option.plans[1]"]
    listed = await catalogue_usecases.list_options(world.deps, world.acme)
    assert "ROAM_US" not in {o.option.code for o in listed}
    plans = await catalogue_usecases.list_plans(world.deps, world.acme)
    assert "FREE" not in {p.code for p in plans}
