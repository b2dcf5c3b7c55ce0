"""Values blamed where they come from, and placed safely in URLs.

A `{placeholder}` inside a URL is percent-encoded for the part of the URL
it lands in (a query value, a path segment); a whole site at the start of
a URL is kept as given. A value that still makes a field invalid is
reported at its source, the `--var` option or the recipients' row and
column, with the script line that uses it as a secondary label."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dialplan_compiler import cli, compile_source
from dialplan_compiler.model import Sourced
from dialplan_compiler.nodes import Span

from helpers import phone, urls

QUERY = 'collect to "https://hooks.example.com/{account}/pin?code={code}&lang=el"\npause 5s\n'


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def event_url(source: str, **values) -> str:
    result = compile_source(source, "s.call", variables=values)
    assert result.payload is not None, result.diagnostics
    return result.payload["verbs"][0]["eventUrl"]


# --- percent-encoding by URL part --------------------------------------------------------------

def test_a_query_value_cannot_add_a_parameter_or_a_fragment():
    url = event_url(QUERY, account="acme", code="x&admin=1#frag")
    assert url == "https://hooks.example.com/acme/pin?code=x%26admin%3D1%23frag&lang=el"
    assert parse_qs(urlsplit(url).query) == {"code": ["x&admin=1#frag"], "lang": ["el"]}
    assert urlsplit(url).fragment == ""


def test_a_path_value_stays_one_segment():
    url = event_url(QUERY, account="a/../b c", code="1")
    assert url == "https://hooks.example.com/a%2F..%2Fb%20c/pin?code=1&lang=el"
    assert urlsplit(url).path.split("/")[1:] == ["a%2F..%2Fb%20c", "pin"]


def test_a_site_at_the_start_of_a_url_is_kept_as_given():
    url = event_url('collect to "{base}/pin?to={who}"\npause 5s\n',
                    base="https://hooks.example.com:8443", who="+30 69")
    assert url == "https://hooks.example.com:8443/pin?to=%2B30%2069"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_any_values_come_back_whole_from_their_url_parts(account, code):
    url = event_url(QUERY, account=account, code=code)
    parts = urlsplit(url)
    assert parts.netloc == "hooks.example.com" and parts.fragment == ""
    segments = parts.path.split("/")
    assert len(segments) == 3 and unquote(segments[1]) == account
    assert parse_qs(parts.query, keep_blank_values=True) == {"code": [code], "lang": ["el"]}


# --- blamed at the source -------------------------------------------------------------------------

def test_a_bad_var_is_shown_at_the_var_with_the_script_line_beside_it(tmp_path):
    script = tmp_path / "pin.call"
    script.write_text('say "Enter your PIN." in en-GB\ncollect to "{base}/pin"\npause 5s\n')
    result = run("compile", script, "--var", "x=1", "--var", "base=hooks.example.com")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    head = lines.index("error[DP107]: the collect URL must be an absolute http(s) URL: "
                       "'hooks.example.com/pin' does not start with http:// or https://")
    assert lines[head + 1:head + 9] == [
        "  --> --var:2:7",
        "   |",
        " 2 | --var base=hooks.example.com",
        "   |       ^^^^^^^^^^^^^^^^^^^^^^ the value of {base}",
        f"  ::: {script}:2:12",
        "   |",
        ' 2 | collect to "{base}/pin"',
        "   |            ------------ {base} is used here",
    ]


def test_a_value_that_fills_a_whole_string_is_blamed_for_what_is_wrong_with_it(tmp_path):
    script = tmp_path / "call.call"
    script.write_text('from +302101234567\nto "{phone}"\nsay "Hi." in en-GB\n')
    result = run("compile", script, "--var", "phone=+3069")
    assert result.exit_code == 1
    assert "error[DP211]: phone number '+3069' cannot exist" in result.stderr
    assert "  --> --var:1:7\n" in result.stderr
    assert f"  ::: {script}:2:4\n" in result.stderr and "{phone} is used here" in result.stderr


def test_the_scripts_own_mistake_stays_on_the_script(tmp_path):
    script = tmp_path / "pin.call"
    script.write_text('collect to "hooks.example.com/{path}"\npause 5s\n')
    result = run("compile", script, "--var", "path=pin")
    assert result.exit_code == 1
    assert f"  --> {script}:1:12\n" in result.stderr and "--var:" not in result.stderr


def test_the_python_api_blames_a_sourced_value():
    origin = Span("people.csv", 7, 3, 7, 4)
    result = compile_source('dial "{agent}" from +302101234567\n', "s.call",
                            variables={"agent": Sourced("+3069", origin)})
    [error] = [d for d in result.diagnostics if d.is_error]
    assert error.span == origin and error.label == "the value of {agent}"
    assert [(r.span.file, r.span.line, r.span.column) for r in error.related] == \
        [("s.call", 1, 6)]


def test_a_bad_cell_is_blamed_on_its_row_and_column(tmp_path, standin, routee_env):
    server = standin()
    script = tmp_path / "transfer.call"
    script.write_text('from +302101234567\nsay "Hello {name}." in en-GB\ndial "{agent}"\n')
    people = tmp_path / "people.csv"
    rows = ["to,name,agent"] + [f"{phone(i)},Person {i},{phone(100 + i)}" for i in range(6)]
    rows[5] = f"{phone(4)},Person 4,+3069"   # line 6 of the file
    people.write_text("\n".join(rows) + "\n")
    result = run("call", script, "--recipients", people, "--rate", "50", *urls(server))
    assert result.exit_code == 1
    assert (f"{people}:6: error[DP211]: phone number '+3069' cannot exist: too short for +30 "
            f"(GR) (column `agent`, used at {script}:3:6)") in result.stderr
    assert server.requests == []


def test_text_made_too_long_by_a_value_is_blamed_on_the_value(tmp_path):
    script = tmp_path / "hello.call"
    script.write_text('say "Hello {title} {name}, welcome." in en-GB\n')
    result = run("compile", script, "--var", "title=Dr", "--var", "name=" + "x" * 1000)
    assert result.exit_code == 1
    assert "error[DP207]: `say` text must be 1 to 1000 characters; this one has 1019" \
        in result.stderr
    assert "  --> --var:2:7\n" in result.stderr and f"  ::: {script}:1:5\n" in result.stderr


def test_text_too_long_of_itself_stays_on_the_script(tmp_path):
    script = tmp_path / "hello.call"
    script.write_text(f'say "{"y" * 1001} {{name}}" in en-GB\n')
    result = run("compile", script, "--var", "name=Maria")
    assert result.exit_code == 1
    assert f"  --> {script}:1:5\n" in result.stderr and "--var:" not in result.stderr


def test_dialplan_call_shows_a_bad_value_beside_the_script_line(tmp_path, routee_env):
    script = tmp_path / "transfer.call"
    script.write_text('from +302101234567\nsay "Hi." in en-GB\ndial "{agent}"\n')
    result = run("call", script, "--to", "+306912345678", "--var", "agent=+3069", "--dry-run")
    assert result.exit_code == 1
    assert "error[DP211]: phone number '+3069' cannot exist" in result.stderr
    assert "  --> --var:1:7\n" in result.stderr
    assert f"  ::: {script}:3:6\n" in result.stderr
    assert ' 3 | dial "{agent}"\n' in result.stderr
