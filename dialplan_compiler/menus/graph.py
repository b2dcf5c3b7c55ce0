"""`dialplan graph`: a call flow as a diagram (Mermaid or Graphviz DOT).

Plans are the nodes (the main plan, each branch, `on machine`), with what
each says first; a menu's `timeout` is a node of its own. Edges carry the
keys of each choice, `otherwise`, `timeout`, and for branches that ask
again, `again` (while tries are left), `tries used up` and `back` (to the
parent menu).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..lowering import Bundle
from ..model import Again, Ask, Back, Dial, Handoff, Menu, Play, Say

MAX_TEXT = 42


@dataclass
class Node:
    id: str
    lines: list[str]
    kind: str = "plan"     # plan | timeout | handoff | start


@dataclass
class Edge:
    source: str
    target: str
    label: str


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1].rstrip() + "…"


def _summary(verbs) -> str | None:
    for verb in verbs:
        if isinstance(verb, Say):
            return f"“{_short(verb.text)}”"
        if isinstance(verb, Play):
            return "plays " + _short(verb.url.rsplit("/", 1)[-1])
        if isinstance(verb, Dial):
            return f"dial {verb.target.address}"
    return None


def build(bundle: Bundle) -> tuple[list[Node], list[Edge]]:
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    plans = bundle.source
    for name, plan in plans.items():
        lines = [name]
        own = _summary(plan.verbs)
        if own:
            lines.append(own)
        if isinstance(plan.end, Menu):
            asked = _summary(plan.end.prompt)
            lines.append(f"menu: {asked}" if asked else "menu")
        if not plan.verbs and plan.end is None:
            lines.append("(ends the call)")
        if not plan.verbs and isinstance(plan.end, Again):
            lines.append("(asks again)")
        if not plan.verbs and isinstance(plan.end, Back):
            lines.append("(goes back)")
        nodes[name] = Node(name, lines)
    for menu in bundle.menus.values():
        timeout = f"{menu.id}.timeout"
        nodes[timeout] = Node(timeout, [timeout, _summary(menu.timeout) or "(ends the call)"],
                              "timeout")
        for choice in menu.choices:
            label = choice.keys if choice.keys is not None else (
                f"any {choice.length} digits" if choice.length else "any digits")
            edges.append(Edge(menu.id, choice.branch, label))
        if menu.otherwise:
            edges.append(Edge(menu.id, menu.otherwise, "otherwise"))
        else:
            edges.append(Edge(menu.id, menu.id, f"otherwise: again (≤ {menu.tries} tries)"))
        edges.append(Edge(menu.id, timeout, "timeout"))
    for name, plan in plans.items():
        if isinstance(plan.end, Again):
            menu = bundle.menus[plan.end.menu]
            edges.append(Edge(name, menu.id, f"again (≤ {menu.tries} tries)"))
            edges.append(Edge(name, f"{menu.id}.timeout", "tries used up"))
        elif isinstance(plan.end, Back):
            edges.append(Edge(name, plan.end.menu, "back"))
        elif isinstance(plan.end, Handoff):
            target = f"{name}.handoff"
            nodes[target] = Node(target, ["handoff", _short(plan.end.url)], "handoff")
            edges.append(Edge(name, target, f"within {plan.end.within_ms / 1000:g} s"))
        elif isinstance(plan.end, Ask):
            # Your system's answer picks the branch: a node of its own, like a handoff.
            ask = plan.end
            asked = f"{name}.ask"
            nodes[asked] = Node(asked, ["ask", _short(ask.url),
                                        f"within {ask.within_ms / 1000:g} s"], "handoff")
            edges.append(Edge(name, asked, "asks"))
            for choice, branch in ask.choices.items():
                edges.append(Edge(asked, branch, f"“{choice}”"))
            edges.append(Edge(asked, ask.otherwise, "otherwise"))
            if ask.timeout:
                edges.append(Edge(asked, ask.timeout, "timeout"))
    if "machine" in plans:
        nodes["call"] = Node("call", ["call answered"], "start")
        edges.insert(0, Edge("call", "machine", "a machine"))
        edges.insert(0, Edge("call", "main", "a person"))
    ordered = ({"call": nodes["call"]} if "call" in nodes else {}) | nodes
    return list(ordered.values()), edges


def _mermaid_id(name: str) -> str:
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _mermaid_text(text: str) -> str:
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;"))


def mermaid(bundle: Bundle) -> str:
    nodes, edges = build(bundle)
    out = ["flowchart TD"]
    shapes = {"plan": ('["', '"]'), "timeout": ('(["', '"])'), "handoff": ('[/"', '"/]'),
              "start": ('(("', '"))')}
    for node in nodes:
        left, right = shapes[node.kind]
        out.append(f"  {_mermaid_id(node.id)}{left}"
                   f"{'<br/>'.join(_mermaid_text(line) for line in node.lines)}{right}")
    for edge in edges:
        out.append(f"  {_mermaid_id(edge.source)} -->|\"{_mermaid_text(edge.label)}\"| "
                   f"{_mermaid_id(edge.target)}")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(bundle: Bundle) -> str:
    nodes, edges = build(bundle)
    out = [f'digraph "{_dot_text(bundle.name)}" {{',
           '  rankdir=TB;',
           '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", '
           'fontname="Helvetica", fontsize=11];',
           '  edge [fontname="Helvetica", fontsize=10];']
    styles = {"plan": "", "timeout": ', fillcolor="#fbf1e6"',
              "handoff": ', shape=parallelogram, fillcolor="#eaf7ea"',
              "start": ', shape=oval, fillcolor="#ffffff"'}
    for node in nodes:
        label = "\\n".join(_dot_text(line) for line in node.lines)
        out.append(f'  "{_dot_text(node.id)}" [label="{label}"{styles[node.kind]}];')
    for edge in edges:
        out.append(f'  "{_dot_text(edge.source)}" -> "{_dot_text(edge.target)}" '
                   f'[label="{_dot_text(edge.label)}"];')
    out.append("}")
    return "\n".join(out) + "\n"
