"""``custody diagram``: the plan as a picture (graphviz), the chains behind findings in red.

Sites are boxes holding their places; each place holds its media, labelled with what they carry;
custodians sit outside, with an edge to each place or medium they reach. Whatever lies on a
finding's chain (its media, the custodian, the edges between them) is drawn red. ``.dot`` is
written by the Python binding alone; SVG and PNG need Graphviz's ``dot`` program.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import InputError
from .check import Finding
from .plan import Plan

FORMATS = ("dot", "svg", "png")
RED, GREY = "#c0392b", "#555555"


def build(plan: Plan, findings: list[Finding]):
    import graphviz

    red_media = {m for f in findings for m in f.media}
    red_custodians = {f.custodian for f in findings if f.custodian}
    red_places = {plan.media[m].place for m in red_media if plan.media[m].place}
    graph = graphviz.Digraph("custody", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11",
                                                    "label": _title(plan, findings), "labelloc": "t"},
                             node_attr={"fontname": "Helvetica", "fontsize": "10"}, edge_attr={"color": GREY})
    for site in plan.sites:
        with graph.subgraph(name=f"cluster_site_{site}") as s:
            s.attr(label=f"site {site}", style="rounded", color=GREY)
            for place in [p for p in plan.places.values() if p.site == site]:
                with s.subgraph(name=f"cluster_place_{place.name}") as p:
                    colour = RED if place.name in red_places else "black"
                    keys = f" ({place.keyholders} keyholders)" if place.keyholders > 1 else ""
                    p.attr(label=f"{place.name}{' (off-site)' if place.offsite else ''}{keys}", style="dashed", color=colour,
                           fontcolor=colour)
                    for medium in plan.media_at(place.name):
                        _medium(p, medium, medium.name in red_media)
                    if not plan.media_at(place.name):
                        p.node(f"place__{place.name}", label="(empty)", shape="plaintext")
    for medium in [m for m in plan.media.values() if m.place is None]:  # memory, and a person's devices
        _medium(graph, medium, medium.name in red_media)
    for custodian in plan.custodians.values():
        colour = RED if custodian.name in red_custodians else "black"
        knows = "\\n".join(f"knows {k}" for k in custodian.knows)
        graph.node(f"custodian__{custodian.name}", label=f"{custodian.name}\\n{knows}".rstrip("\\n"), shape="ellipse",
                   color=colour, fontcolor=colour)
        for target in custodian.reaches:
            media = [m.name for m in plan.media_at(target)] if target in plan.places else [target]
            on_chain = custodian.name in red_custodians and any(m in red_media for m in media)
            head = f"medium__{media[0]}" if media else f"place__{target}"
            attrs = {"color": RED if on_chain else GREY, "penwidth": "2" if on_chain else "1"}
            if target in plan.places:
                attrs["lhead"] = f"cluster_place_{target}"
            graph.edge(f"custodian__{custodian.name}", head, **attrs)
        for medium in [m for m in plan.media.values() if m.place is None and m.holder == custodian.name]:
            graph.edge(f"custodian__{custodian.name}", f"medium__{medium.name}", style="dotted",
                       color=RED if medium.name in red_media else GREY)
    graph.attr(compound="true")
    return graph


PASSWORD_FILL, SEED_FILL, RED_FILL = "#e3eefa", "#fdf3dc", "#fdecea"


def _medium(graph, medium, red: bool) -> None:
    from .plan import PASSWORD_ARTEFACTS, SEED_ARTEFACTS

    colour = RED if red else "black"
    carries = "\\n".join(medium.carries) or "(nothing)"
    known = PASSWORD_ARTEFACTS + SEED_ARTEFACTS + ("vault-password", "seeds-passphrase")
    sides = {("password" if a in PASSWORD_ARTEFACTS + ("vault-password",) else "seed")
             for a in (c.partition(":")[0] for c in medium.carries) if a in known}  # key-share:K is a key share
    fill = RED_FILL if red or len(sides) > 1 else PASSWORD_FILL if sides == {"password"} else SEED_FILL if sides else "white"
    graph.node(f"medium__{medium.name}", label=f"{medium.name} [{medium.kind}]\\n{carries}", shape="box",
               style="filled", fillcolor=fill, color=colour, fontcolor=colour, penwidth="2" if red else "1")


def _title(plan: Plan, findings: list[Finding]) -> str:
    if findings:
        named = "; ".join(f"{f.rule}: {f.subject}" for f in findings[:4]) + ("; ..." if len(findings) > 4 else "")
        state = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}, drawn in red ({named})"
    else:
        state = "no findings: every rule holds"
    return (f"custody plan {Path(plan.path).name}: {state}\\n"
            "blue: password side (vault, key file, emergency sheet); amber: seed side (seed store, identity, seed "
            "sheet, key shares)")


def render(plan: Plan, findings: list[Finding], fmt: str) -> bytes:
    """The picture as bytes: DOT source, or SVG/PNG drawn by Graphviz's dot program."""
    if fmt not in FORMATS:
        raise InputError(f"a diagram is .dot, .svg or .png, not .{fmt}: choose one of those file names")
    graph = build(plan, findings)
    if fmt == "dot":
        return graph.source.encode("utf-8")
    from ..hygiene import child_environment, program

    dot = program("dot")  # by its absolute path: never a 'dot' planted in the current directory
    if dot is None:
        raise InputError(f"drawing {fmt.upper()} needs Graphviz's dot program, which is not installed: install the "
                         "graphviz package (Debian: apt-get install graphviz), or write a .dot file")
    done = subprocess.run([dot, f"-T{fmt}"], input=graph.source.encode("utf-8"), capture_output=True, timeout=120,
                          env=child_environment())
    if done.returncode != 0:
        raise InputError(f"Graphviz's dot could not draw the plan: {done.stderr.decode(errors='replace').strip()[:300]}")
    return done.stdout


def svg_or_why(plan: Plan, findings: list[Finding]) -> tuple[str | None, str]:
    """The plan's picture as SVG text for a page, or (None, why it could not be drawn)."""
    from . import require

    try:
        require(("graphviz",), "the custody diagram")
        return render(plan, findings, "svg").decode("utf-8"), ""
    except Exception as exc:  # noqa: BLE001 - a page without its picture says why; the check stands
        return None, f"the custody diagram was not drawn: {exc}"
