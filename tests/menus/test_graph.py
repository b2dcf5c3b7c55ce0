"""`dialplan graph`: the flow as Mermaid and Graphviz DOT text (tested as
text: Graphviz is not needed to run the tests)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dialplan_compiler.menus import graph
from dialplan_compiler.cli import main
from dialplan_compiler.menus.simulate import load

from helpers import ROOT
CLINIC = ROOT / "examples" / "ivr" / "clinic.call"
MACHINE = ROOT / "examples" / "ivr" / "reminder-machine.call"


def bundle(path: Path = CLINIC, text: str | None = None):
    return load(text if text is not None else path.read_bytes(), str(path)).bundle


def test_mermaid_of_the_clinic():
    text = graph.mermaid(bundle())
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert '  n_main -->|"1"| n_1' in lines
    assert '  n_main -->|"otherwise"| n_other' in lines
    assert '  n_main -->|"timeout"| n_main_timeout' in lines
    assert '  n_1 -->|"any 4 digits"| n_1_any4' in lines
    assert '  n_9 -->|"again (≤ 3 tries)"| n_main' in lines
    assert '  n_other -->|"tries used up"| n_main_timeout' in lines
    assert '  n_2["2<br/>dial +302101111111"]' in lines
    assert '  n_main_timeout(["main.timeout<br/>“We did not hear from you. Goodbye.”"])' in lines


def test_dot_of_the_clinic():
    text = graph.dot(bundle())
    assert text.startswith('digraph "clinic" {\n')
    assert text.rstrip().endswith("}")
    assert '  "main" -> "1" [label="1"];' in text
    assert '  "1.other" -> "1" [label="again (≤ 3 tries)"];' in text
    assert '  "1" -> "1.timeout" [label="timeout"];' in text
    # every edge joins nodes that are declared
    declared = {line.split('"')[1] for line in text.splitlines()
                if line.startswith('  "') and " -> " not in line}
    for line in text.splitlines():
        if " -> " in line:
            source, target = line.split('"')[1], line.split('"')[3]
            assert {source, target} <= declared, line


def test_a_machine_flow_starts_from_the_answer():
    lines = graph.mermaid(bundle(MACHINE)).splitlines()
    assert '  n_call -->|"a person"| n_main' in lines
    assert '  n_call -->|"a machine"| n_machine' in lines


def test_quotes_and_handoffs_are_drawn_safely():
    source = ('voice en-GB\nmenu via "https://h.example.com/r" {\n  say "Say \\"yes\\" <now>."\n'
              '  on 1 { handoff "https://crm.example.com/h" }\n}\n')
    flow = bundle(Path("q.call"), source)
    mermaid = graph.mermaid(flow)
    assert "#quot;yes#quot; #lt;now#gt;" in mermaid
    assert '  n_1_handoff[/"handoff<br/>https://crm.example.com/h"/]' in mermaid
    dot = graph.dot(flow)
    assert '\\"yes\\"' in dot
    assert '"1" -> "1.handoff" [label="within 2 s"];' in dot


def test_an_implicit_otherwise_loops_on_the_menu():
    flow = bundle(Path("i.call"), 'voice en-GB\nmenu via "https://h.example.com/r" tries 2 {\n'
                                  '  on 1 { say "A." }\n}\n')
    assert '  n_main -->|"otherwise: again (≤ 2 tries)"| n_main' in graph.mermaid(flow)


def test_the_graph_command(tmp_path):
    result = CliRunner().invoke(main, ["graph", str(CLINIC), "--format", "dot"])
    assert result.exit_code == 0
    assert result.output == graph.dot(bundle())
    out = tmp_path / "flow.mmd"
    assert CliRunner().invoke(main, ["graph", str(CLINIC), "-o", str(out)]).exit_code == 0
    assert out.read_text() == graph.mermaid(bundle())
    plain = CliRunner().invoke(main, ["graph", str(ROOT / "examples" / "pin-prompt.call")])
    assert plain.exit_code == 2 and "no menus" in plain.output


def test_back_and_shared_keys_in_the_sales_example():
    result = CliRunner().invoke(main, ["graph", str(ROOT / "examples" / "ivr" / "sales.call")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert '  n_main -->|"1"| n_1_2' in lines and '  n_main -->|"2"| n_1_2' in lines
    assert '  n_1_2_0 -->|"back"| n_main' in lines
    assert '  n_1_2_other -->|"back"| n_main' in lines
    assert '  n_1_2_0["1-2.0<br/>(goes back)"]' in lines
