"""A run's results as one self-contained HTML page a person reads and hands on.

Nothing is fetched: the styles and the script are in the page, the chart is inline SVG, a custody
diagram an ``<img>`` of a ``data:`` URI, and the page's Content-Security-Policy forbids every other
source (no network, no external asset, no form). Every value is escaped. The table sorts (click a
heading) and filters (the box, the status list); the address's fragment holds both
(``report.html#status=fail&filter=prod&sort=resource``), so a filtered view can be bookmarked or sent.
"""

from __future__ import annotations

import base64
from html import escape

from .. import __version__
from .results import STATUSES, Run

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "form-action 'none'; base-uri 'none'")
COLOURS = {"pass": "#1a7f37", "warning": "#9a6700", "fail": "#cf222e", "unknown": "#6e7781"}
COLUMNS = ("status", "verdict", "check", "resource", "name", "severity", "message", "controls")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1f2328;max-width:1400px}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .5em}
.meta{color:#57606a;margin:0 0 1em}.meta code{font-size:.95em}
.counts{display:flex;gap:1em;flex-wrap:wrap;margin:1em 0}
.count{border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em;min-width:7em}
.count b{display:block;font-size:1.6em}
table{border-collapse:collapse;width:100%;margin-top:.6em}
th,td{border-bottom:1px solid #d8dee4;padding:.35em .5em;text-align:left;vertical-align:top}
th{cursor:pointer;background:#f6f8fa;position:sticky;top:0;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.status{font-weight:600;white-space:nowrap}
td.pass{color:#1a7f37}td.warning{color:#9a6700}td.fail{color:#cf222e}td.unknown{color:#6e7781}
.controls{font-size:.85em;color:#57606a}
.filters{display:flex;gap:.8em;align-items:center;flex-wrap:wrap}
input,select{font:inherit;padding:.25em .4em}
ul.unseen li{color:#9a6700}
img.diagram{max-width:100%;border:1px solid #d0d7de;border-radius:6px}
"""

SCRIPT = """
(function(){
  var table=document.getElementById('results'),body=table.tBodies[0];
  var box=document.getElementById('filter'),pick=document.getElementById('status'),shown=document.getElementById('shown');
  var state={filter:'',status:'',sort:'',dir:'ascending'};
  var keys=Array.prototype.map.call(table.tHead.rows[0].cells,function(th){return th.dataset.key;});
  var allowed={status:['','pass','warning','fail','unknown'],sort:[''].concat(keys),dir:['ascending','descending']};
  function read(){var h=location.hash.replace(/^#/,'');h.split('&').forEach(function(p){
    var kv=p.split('='),v;if(kv.length!=2||!(kv[0] in state))return;
    try{v=decodeURIComponent(kv[1]);}catch(e){return;}
    if(!(kv[0] in allowed)||allowed[kv[0]].indexOf(v)>=0)state[kv[0]]=v;});}
  function write(){var parts=[];['status','filter','sort','dir'].forEach(function(k){
    if(state[k]&&!(k=='dir'&&state[k]=='ascending'))parts.push(k+'='+encodeURIComponent(state[k]));});
    history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname);}
  function apply(){
    box.value=state.filter;pick.value=state.status;
    var rows=Array.prototype.slice.call(body.rows),want=state.filter.toLowerCase(),n=0;
    if(state.sort){var i=Array.prototype.indexOf.call(table.tHead.rows[0].cells,
        table.tHead.querySelector('th[data-key="'+state.sort+'"]'));
      if(i>=0){rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;
        return (state.dir=='descending'?-1:1)*x.localeCompare(y,undefined,{numeric:true});});
        rows.forEach(function(r){body.appendChild(r);});}
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){
        th.setAttribute('aria-sort',th.dataset.key==state.sort?state.dir:'none');});}
    rows.forEach(function(r){var ok=(!state.status||r.dataset.status==state.status)&&
        (!want||r.textContent.toLowerCase().indexOf(want)>=0);r.hidden=!ok;if(ok)n++;});
    shown.textContent=n+' of '+rows.length+' shown';
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th){th.addEventListener('click',function(){
    state.dir=(state.sort==th.dataset.key&&state.dir=='ascending')?'descending':'ascending';
    state.sort=th.dataset.key;write();apply();});});
  box.addEventListener('input',function(){state.filter=box.value;write();apply();});
  pick.addEventListener('change',function(){state.status=pick.value;write();apply();});
  window.addEventListener('hashchange',function(){read();apply();});
  read();apply();
  window.addEventListener('load',function(){Array.prototype.forEach.call(document.images,function(i){
    i.dataset.rendered=i.naturalWidth;});});
})();
"""


def _chart(counts: dict[str, int], colours: dict[str, str]) -> str:
    """A horizontal bar chart of counts, as inline SVG (with a text equivalent for screen readers)."""
    items = [(k, v) for k, v in counts.items() if v]
    if not items:
        return '<p>No results.</p>'
    top, width, row = max(v for _, v in items), 520, 26
    label = max(len(k) for k, _ in items) * 8 + 16
    bars = []
    for n, (name, value) in enumerate(items):
        y, length = n * row, max(2, round(width * value / top))
        bars.append(f'<text x="{label - 8}" y="{y + 17}" text-anchor="end">{escape(name)}</text>'
                    f'<rect x="{label}" y="{y + 4}" width="{length}" height="18" rx="3" '
                    f'fill="{colours.get(name, "#0969da")}"/>'
                    f'<text x="{label + length + 6}" y="{y + 17}">{value}</text>')
    summary = ", ".join(f"{k}: {v}" for k, v in items)
    return (f'<svg role="img" aria-label="{escape(summary)}" width="{label + width + 60}" height="{len(items) * row + 4}" '
            f'font-size="13" font-family="system-ui,sans-serif" xmlns="http://www.w3.org/2000/svg">'
            f'<title>{escape(summary)}</title>{"".join(bars)}</svg>')


def _verdict_colours(run: Run) -> dict[str, str]:
    return {r.verdict: COLOURS[r.status] for r in run.results}


def page(run: Run) -> str:
    counts = run.counts()
    primary = run.results[0].check if run.results else ""
    verdicts: dict[str, int] = {}
    for r in run.results:
        if r.check == primary:
            verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
    cards = "".join(f'<div class="count" data-status="{s}"><b style="color:{COLOURS[s]}">{counts[s]}</b>{s}</div>'
                    for s in STATUSES)
    examined = "".join(f"<li>{escape(str(k).replace('_', ' '))}: <b>{escape(str(v))}</b></li>"
                       for k, v in run.examined.items())
    unseen = ("<h2>Not examined</h2><ul class=\"unseen\">" + "".join(f"<li>{escape(t)}</li>" for t in run.not_examined)
              + "</ul>") if run.not_examined else ""
    rows = []
    for r in run.results:
        controls = ", ".join(c.short for c in r.controls)
        cells = (r.status, r.verdict, r.check, r.resource_id, r.resource_name, r.severity, r.message, controls)
        full = escape("; ".join(c.requirement for c in r.controls))
        tds = "".join(f'<td class="{"status " + r.status if key == "status" else key}"'
                      f'{f" title={chr(34)}{full}{chr(34)}" if key == "controls" and full else ""}>{escape(value)}</td>'
                      for key, value in zip(COLUMNS, cells, strict=True))
        rows.append(f'<tr data-status="{r.status}" data-uid="{escape(r.uid)}">{tds}</tr>')
    heads = "".join(f'<th data-key="{k}" aria-sort="none">{k}</th>' for k in COLUMNS)
    options = '<option value="">every status</option>' + "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    diagram = ""
    if run.extra.get("svg"):
        data = base64.b64encode(run.extra["svg"].encode("utf-8")).decode("ascii")
        diagram = (f'<h2>Custody diagram</h2><img class="diagram" alt="the custody plan: sites, places, media, '
                   f'custodians" src="data:image/svg+xml;base64,{data}">')
    anchor = (f"journal record <code>{escape(run.anchor)}</code>" if run.anchor
              else "the journal has no record")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rootkeeper {escape(__version__)}">
<title>{escape(run.title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(run.title)}</h1>
<p class="meta">{escape(run.at)} &middot; rootkeeper {escape(__version__)} &middot; {anchor}</p>
<div class="counts" id="counts">{cards}</div>
<h2>Examined</h2><ul id="examined">{examined}</ul>{unseen}
<h2>Verdicts{f" ({escape(primary)})" if primary else ""}</h2><div id="chart">{_chart(verdicts, _verdict_colours(run))}</div>
{diagram}
<h2>Results</h2>
<div class="filters"><label>Filter <input id="filter" type="search" placeholder="account, verdict, text"></label>
<label>Status <select id="status">{options}</select></label><span id="shown"></span></div>
<table id="results"><thead><tr>{heads}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<script>{SCRIPT}</script>
</body></html>
"""
