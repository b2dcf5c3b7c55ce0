"""pricing: prices files, a call's cost, a campaign's estimate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dialplan_compiler.pricing import (PriceError, call_cost, cost_range, estimate_campaign,
                                       load_prices, parse_prices)

PRICES = """prefix,price_per_minute,increment_seconds,currency
# Greece: landlines by the minute, mobiles by the half minute
+30,0.02,60,EUR
+3069,0.06,30,EUR
# Cyprus: by the second
+357,0.12,1,EUR
"""
RECIPIENTS = ["+306912345678", "+30 699 876 5432", "+302101234567", "+35799123456",
              "35722123456"]


@pytest.fixture
def prices(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(PRICES, encoding="utf-8")
    return load_prices(path)


def test_the_longest_prefix_wins(prices):
    assert prices.find("+306912345678").prefix == "+3069"
    assert prices.find("+302101234567").prefix == "+30"
    assert prices.find("+35722123456").prefix == "+357"
    assert prices.find("+442071234567") is None
    assert prices.currency == "EUR"


def test_a_campaign_of_five_calls_by_hand(prices):
    estimate = estimate_campaign(RECIPIENTS, (20, 61.5), prices, rate=2)
    # Each call lasts 20 to 61.5 seconds.
    # +3069 (0.06 a minute, 30-s increments), two calls:
    #   20 s   -> ceil(20/30)   = 1 increment = 30 s = 0.5 min * 0.06 = 0.03
    #   61.5 s -> ceil(61.5/30) = 3 increments = 90 s = 1.5 min * 0.06 = 0.09
    # +30 (0.02 a minute, 60-s increments), one call (+3021... is not +3069):
    #   20 s   -> 1 increment  = 60 s  = 1 min * 0.02 = 0.02
    #   61.5 s -> 2 increments = 120 s = 2 min * 0.02 = 0.04
    # +357 (0.12 a minute, 1-s increments), two calls:
    #   20 s   -> 20 s = 20/60 min * 0.12 = 0.04
    #   61.5 s -> 62 s = 62/60 min * 0.12 = 0.124
    # GR: 0.03 + 0.03 + 0.02 = 0.08 to 0.09 + 0.09 + 0.04 = 0.22
    # CY: 0.04 + 0.04 = 0.08 to 0.124 + 0.124 = 0.248
    # All: 0.16 to 0.468. Placing 5 calls at 2 a second: 2.5 s; talk: 5 * 20 to 5 * 61.5.
    assert estimate.calls == 5
    assert estimate.countries["GR"].calls == 3
    assert estimate.countries["GR"].cost == (Decimal("0.08"), Decimal("0.22"))
    assert estimate.countries["CY"].calls == 2
    assert estimate.countries["CY"].cost == (Decimal("0.08"), Decimal("0.248"))
    assert estimate.cost == (Decimal("0.16"), Decimal("0.468"))
    assert estimate.currency == "EUR"
    assert estimate.placing_seconds == 2.5
    assert estimate.talk_seconds == (100, 307.5)
    assert estimate.unpriced == []
    data = estimate.to_dict()
    assert data["cost"] == {"min": "0.16", "max": "0.468"}
    assert set(data["countries"]) == {"CY", "GR"}


def test_an_unanswered_call_costs_nothing_and_an_increment_is_billed_whole(prices):
    price = prices.find("+306912345678")
    assert call_cost(0, price) == 0
    assert call_cost(0.1, price) == Decimal("0.03")   # one 30-s increment
    assert call_cost(30, price) == Decimal("0.03")
    assert call_cost(30.01, price) == Decimal("0.06")
    assert cost_range((0, 60), "+306912345678", prices) == (0, Decimal("0.06"))
    assert cost_range((0, 60), "+442071234567", prices) is None


def test_unpriced_numbers_are_counted_but_not_priced(prices):
    estimate = estimate_campaign(["+306912345678", "+442071234567"], (0, 30), prices)
    assert estimate.calls == 2 and estimate.unpriced == ["+442071234567"]
    assert estimate.countries["GB"].calls == 1
    assert estimate.cost == (0, Decimal("0.03"))
    assert estimate.placing_seconds == 2


HEADER = "prefix,price_per_minute,increment_seconds\n"


@pytest.mark.parametrize("text, line, column, words", [
    ("prefix,price\n+30,1\n", 1, 1, "header"),
    ("", 1, 1, "no header"),
    (HEADER + "30,0.02,60\n", 2, 1, "not an E.164 prefix"),
    (HEADER + "+30,0.02,60\n+30,0.03,60\n", 3, 1, "priced twice (first on line 2)"),
    (HEADER + "+30,cheap,60\n", 2, 5, "not a price"),
    (HEADER + "+30,-1,60\n", 2, 5, "not a price"),
    (HEADER + "+30, 0.02 ,0\n", 2, 12, "not an increment"),
    (HEADER + "+30,0.02,1.5\n", 2, 10, "not an increment"),
    (HEADER + "+30,0.02\n", 2, 9, "3 fields expected"),
    (HEADER + "+30,0.02,60,EUR\n", 2, 13, "3 fields expected"),
    (HEADER.rstrip() + ",currency\n+30,0.02,60,euro\n", 2, 13, "not a currency"),
    (HEADER.rstrip() + ",currency\n+30,0.02,60,EUR\n\n+31,0.02,60,USD\n", 4, 13,
     "USD after EUR (line 2)"),
])
def test_a_bad_prices_file_says_where(tmp_path, text, line, column, words):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PriceError) as caught:
        load_prices(path)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.path, error.line, error.column) == (str(path), line, column)
    assert words in error.message
    assert str(error).startswith(f"{path}:{line}:{column}: ")


def test_a_prices_file_that_is_not_utf8_says_where(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + b"+30,0.02,60\n+3\xe9,1,1\n")
    with pytest.raises(PriceError) as caught:
        load_prices(path)
    assert (caught.value.line, caught.value.column) == (3, 3)


def test_a_byte_order_mark_and_comments_are_fine():
    prices = parse_prices("\ufeff" + HEADER + "# a comment\n\n+30,0.02,60\n")
    assert prices.find("+302101234567").increment == 60
    assert prices.currency is None


def test_a_paths_billable_time_is_priced(prices):
    from dialplan_compiler.menus.simulate import every_path, load
    from dialplan_compiler.menus.timing import time_paths

    flow = load("from +302101234567\nto +306912345678\nlimit 1m\npause 30s\n"
                "dial +302101111111 ring 20s limit 2m\n", "test.call")
    [timing] = time_paths(flow, every_path(flow), speech="rate")
    # 30 to 170 s, cut at the 60-s limit: 30 s = 1 increment of 30 s at 0.06 a
    # minute = 0.03; 60 s = 2 increments = 0.06.
    assert timing.billable == (30, 60)
    assert cost_range(timing.billable, "+306912345678", prices) == (Decimal("0.03"),
                                                                    Decimal("0.06"))
