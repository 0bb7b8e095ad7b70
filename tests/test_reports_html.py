"""The HTML reports, opened in headless Chromium (Debian's chromium): what the browser shows after the page's
own script ran is compared with the command's --json; the fragment's filter and sort are exercised in the
browser; the page fetches nothing; screenshots are kept for a person to look at."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import oracle
from test_custody import failing_plan
from test_findings_export import varied_org
from test_org import audit_json


class Dom(HTMLParser):
    """The rendered DOM's result rows (uid, cells, hidden or not), the count cards and the images."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.counts: dict[str, str] = {}
        self.images: list[dict] = []
        self._cell: list[str] | None = None
        self._card: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-uid" in a:
            self.rows.append({"uid": a["data-uid"], "status": a["data-status"], "hidden": "hidden" in a, "cells": []})
        elif tag == "td" and self.rows:
            self._cell = []
        elif tag == "div" and a.get("class") == "count":
            self._card = a["data-status"]
        elif tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1]["cells"].append("".join(self._cell))
            self._cell = None
        elif tag == "div":
            self._card = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        elif tag_card := self._card:
            self.counts.setdefault(tag_card, data)


def chromium(page: Path, fragment: str = "", screenshot: Path | None = None) -> Dom:
    """The page as Chromium leaves it after its script ran (no network: every host resolves to nothing)."""
    program = oracle("chromium")
    common = [program, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=3000", "--window-size=1400,1800"]
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    if screenshot is not None:
        subprocess.run([*common, f"--screenshot={screenshot}", url], check=True, capture_output=True, timeout=120)
        assert screenshot.stat().st_size > 10_000
    out = subprocess.run([*common, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120).stdout
    dom = Dom()
    dom.feed(out)
    return dom


def assert_self_contained(text: str) -> None:
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in text
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:)""", text), "a page that loads something"
    assert "<link" not in text and "@import" not in text and "url(" not in text


@pytest.fixture
def shots(request) -> Path:
    """Screenshots are kept where a person can look at them after the run."""
    where = Path(request.config.rootpath) / ".pytest-screenshots"
    where.mkdir(exist_ok=True)
    return where


def test_the_audit_page_shows_what_the_json_says_and_filters_and_sorts_in_the_browser(home, sim, tmp_path, shots):
    org = varied_org(home, sim)
    _rc, audit, _err = audit_json(org)
    report = tmp_path / "audit.html"
    result = org.rk("org", "audit", "--format", "html", "-o", report)
    assert result.returncode == 1 and "wrote" in result.err, result.err
    assert "VERDICT" in result.out  # with -o, the table still goes to the terminal
    text = report.read_text()
    assert_self_contained(text)
    dom = chromium(report, screenshot=shots / "audit.png")
    rows = {r["uid"]: r for r in dom.rows}
    for account in audit["accounts"]:
        row = rows[f"rootkeeper/audit/root-custody/{account['account_id']}"]
        assert row["cells"][1] == account["verdict"] and row["cells"][4] == account["account_name"]
    statuses = [r["status"] for r in dom.rows]
    assert {s: int(dom.counts[s]) for s in dom.counts} == {s: statuses.count(s) for s in ("pass", "warning", "fail", "unknown")}
    last = json.loads(org.home.journal.read_text().splitlines()[-1])
    assert f"{last['seq']} sha256:" in "".join(dom.text)  # the journal anchor of the run
    # The browser applies the fragment's filter and sort (the page's own script, run by Chromium).
    failing = chromium(report, "status=fail&sort=resource&dir=descending")
    shown = [r for r in failing.rows if not r["hidden"]]
    assert shown and all(r["status"] == "fail" for r in shown)
    assert len(shown) == statuses.count("fail")
    assert [r["cells"][3] for r in shown] == sorted((r["cells"][3] for r in shown), reverse=True)
    found = chromium(report, f"filter={org.ids['no-mfa']}")
    assert {r["cells"][3] for r in found.rows if not r["hidden"]} == {org.ids["no-mfa"]}
    # A fragment the page does not know is ignored, not obeyed: every row shown, in the page's order.
    odd = chromium(report, "sort=%22%5D%3Cimg&status=nonsense&filter=%E0%A4%A")
    assert [r["uid"] for r in odd.rows] == [r["uid"] for r in dom.rows] and not any(r["hidden"] for r in odd.rows)
    assert f"{len(dom.rows)} of {len(dom.rows)} shown" in "".join(odd.text)  # the page's script ran to its end


def test_a_custody_check_page_carries_its_diagram_and_every_rule(home, tmp_path, shots):
    oracle("dot")
    plan = failing_plan(home)
    as_json = home.rk("custody", "check", plan, "--json")
    report = tmp_path / "custody.html"
    result = home.rk("custody", "check", plan, "--format", "html", "-o", report)
    assert result.returncode == 1, result.err
    assert_self_contained(report.read_text())
    dom = chromium(report, screenshot=shots / "custody.png")
    failing = {f["rule"] for f in json.loads(as_json.out)["findings"]}
    assert {r["uid"].rsplit("#", 1)[1] for r in dom.rows if r["status"] == "fail"} == failing
    assert [int(i.get("data-rendered", 0)) > 200 for i in dom.images] == [True]  # the diagram, drawn by the browser


def test_a_drill_page_has_one_row_per_copy_and_names_the_failing_one(home, tmp_path_factory, shots):
    from test_custody import enroll

    enroll(home, "111111111111", "prod")
    usb = tmp_path_factory.mktemp("usb")
    home.rk("media", "write", "vault", usb, check=True)
    enroll(home, "222222222222", "dev")  # the copy on the stick is now stale
    reports = tmp_path_factory.mktemp("reports")
    page = reports / "drill.html"
    result = home.rk("drill", "--copy", f"usb={usb}", "--report", reports, "--format", "html", "-o", page)
    assert result.returncode == 1, result.err
    dom = chromium(page, screenshot=shots / "drill.png")
    written = json.loads(next(reports.glob("drill-*.json")).read_text())
    assert [r["uid"] for r in dom.rows if r["uid"].startswith("rootkeeper/drill/drill-copy/usb")] == [
        "rootkeeper/drill/drill-copy/usb"]
    assert {r["status"] for r in dom.rows} == {"fail"} and written["ok"] is False
    assert any("222222222222" in r["cells"][6] for r in dom.rows)


def test_a_root_use_page_names_each_account_examined_and_the_trail(home, sim, tmp_path, shots):
    from test_org import Org
    from test_root_use import signed_in_member

    org = Org(home, sim)
    member = signed_in_member(org)
    as_json = json.loads(org.rk("org", "root-use", "--since", "1d", "--json").out)
    page = tmp_path / "root-use.html"
    assert org.rk("org", "root-use", "--since", "1d", "--format", "html", "-o", page).returncode == 1
    assert_self_contained(page.read_text())
    dom = chromium(page, screenshot=shots / "root-use.png")
    accounts = {r["cells"][3]: r for r in dom.rows if r["cells"][2] == "root-use"}
    assert set(accounts) == {a["account_id"] for a in as_json["accounts"]}
    assert accounts[member]["status"] == "fail" and "NO_MFA" in accounts[member]["cells"][6]
    assert [r["cells"][2] for r in dom.rows].count("trail-integrity") == 1
