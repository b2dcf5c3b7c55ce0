"""`dialplan call --recipients … --dry-run`: the campaign's estimate, printed
before anything is sent (calls/estimate.py)."""

from __future__ import annotations

from decimal import Decimal

from click.testing import CliRunner

from dialplan_compiler import cli
from dialplan_compiler.calls.estimate import duration_text
from dialplan_compiler.speaking import SPEAKING_RATES

from helpers import urls

SCRIPT = 'from +302101234567\nsay "Hello {name}." in en-GB\npause 45s\n'
#: Three Greek mobiles, a Greek landline and a Cypriot mobile.
PEOPLE = ("to,name\n+306912345671,Ann\n+306912345672,Bob\n+306912345673,Eva\n"
          "+302101111111,Ian\n+35799123456,Zoe\n")
PRICES = ("prefix,price_per_minute,increment_seconds,currency\n"
          "+30,0.030,1,EUR\n+3069,0.050,30,EUR\n+357,0.120,60,EUR\n")


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def campaign(tmp_path):
    (tmp_path / "hello.call").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "prices.csv").write_text(PRICES, encoding="utf-8")
    return tmp_path / "hello.call", tmp_path / "people.csv", tmp_path / "prices.csv"


def test_a_five_row_campaign_is_estimated_by_hand_and_nothing_is_sent(tmp_path, standin,
                                                                     routee_env):
    server = standin()
    script, people, prices = campaign(tmp_path)
    result = run("call", script, "--recipients", people, "--dry-run", "--prices", prices,
                 "--rate", "0.5", *urls(server))
    assert result.exit_code == 0, result.output
    # By hand: every call says "Hello Ann." (10 characters, each name 3 letters) at
    # the en-GB rate, then waits 45 s.
    seconds = round(10 / SPEAKING_RATES["en-GB"], 2) + 45
    assert seconds == 45.54
    # +3069 (longest prefix): 45.54 s is two 30 s increments of 0.05 a minute: 0.05 each.
    mobile = 2 * 30 * Decimal("0.050") / 60
    # +30 (the landline): 46 one-second increments of 0.03 a minute.
    landline = 46 * Decimal("0.030") / 60
    # +357: one 60 s increment of 0.12 a minute.
    cypriot = Decimal("0.120")
    assert (3 * mobile + landline, cypriot) == (Decimal("0.173"), Decimal("0.12"))
    lines = result.stdout.split("# hello.call", 1)[0].splitlines()
    assert lines[:7] == [
        "# estimate: 5 calls, before anything is sent",
        "# placing: 10 s at 0.5 requests a second",             # 5 calls at 1 every 2 s
        "# talk time: 3m48s in all (45.54 s a call)",             # 5 × 45.54 = 227.7 s
        f"# cost, by {prices}:",
        "#   CY     1 call   0.12 EUR",
        "#   GR     4 calls  0.173 EUR",
        "#   total  5 calls  0.293 EUR",
    ]
    assert "speaking rate per language" in lines[7]
    # The requests follow the estimate, and none was sent.
    assert result.stdout.index("# estimate") < result.stdout.index("POST ")
    assert result.stdout.count("POST ") == 5
    assert server.requests == []


def test_without_prices_the_estimate_has_no_cost(tmp_path, standin, routee_env):
    server = standin()
    script, people, _ = campaign(tmp_path)
    result = run("call", script, "--recipients", people, "--dry-run", *urls(server))
    assert result.exit_code == 0, result.output
    assert "# placing: 5 s at 1 request a second" in result.stdout
    assert "# cost" not in result.stdout
    assert server.requests == []


def test_a_number_no_prefix_prices_is_counted_but_not_costed(tmp_path, routee_env):
    script, people, prices = campaign(tmp_path)
    prices.write_text("prefix,price_per_minute,increment_seconds,currency\n"
                      "+3069,0.050,30,EUR\n", encoding="utf-8")
    result = run("call", script, "--recipients", people, "--dry-run", "--prices", prices)
    assert result.exit_code == 0, result.output
    assert "#   CY     1 call   no price" in result.stdout
    assert "#   GR     4 calls  0.15 EUR (1 unpriced)" in result.stdout
    assert f"# no prefix of {prices} prices 2 of the numbers (+302101111111, +35799123456)" \
        in result.stdout


def test_prices_problems_are_usage_errors(tmp_path, routee_env):
    script, people, prices = campaign(tmp_path)
    result = run("call", script, "--recipients", people, "--prices", prices)
    assert result.exit_code == 2 and "use it with --recipients and --dry-run" in result.output
    prices.write_text("prefix,price_per_minute,increment_seconds\n+30,1,0\n", encoding="utf-8")
    result = run("call", script, "--recipients", people, "--dry-run", "--prices", prices)
    assert result.exit_code == 2
    assert f"{prices}:2:7: '0' is not an increment" in result.stderr
    assert "POST " not in result.stdout


def test_durations_read_as_hours_minutes_and_seconds():
    assert [duration_text(s) for s in (5, 59.5, 60, 227.7, 3600, 7322.5)] == \
        ["5 s", "59.5 s", "1m", "3m48s", "1h", "2h2m3s"]
