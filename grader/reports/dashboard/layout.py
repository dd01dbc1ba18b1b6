"""The page shell shared by the index and the student pages: CSS, escaping, file names.

Student code, filenames, app output and feedback are hostile HTML: everything goes
through :func:`esc`, which also replaces control characters and lone surrogates (a
report can hold them; a page cannot). The Content-Security-Policy forbids any network
load and every script but the page's own (the table sorter, allowed by its SHA-256), so
even a missed escape cannot run code or phone home.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from urllib.parse import quote

from grader.reports.feedback import printable

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

# Click a column header to sort the table by it (again: the other way). ``#sort=N`` or
# ``#sort=-N`` in the address sorts by column N (0-based) when the page opens.
SORT_SCRIPT = """
function sortKey(cell) {
  if (!cell) return "";
  var value = cell.getAttribute("data-sort");
  if (value === null) value = cell.textContent.trim();
  var number = Number(value);
  return value !== "" && isFinite(number) ? number : value.toLowerCase();
}
function sortTable(table, column, ascending) {
  var heads = table.tHead.rows[0].cells;
  for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
  heads[column].setAttribute("aria-sort", ascending ? "ascending" : "descending");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = sortKey(a.cells[column]), y = sortKey(b.cells[column]);
    var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return ascending ? order : -order;
  });
  rows.forEach(function (row) { body.appendChild(row); });
}
Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, column) {
    head.tabIndex = 0;
    var sort = function () { sortTable(table, column, head.getAttribute("aria-sort") !== "ascending"); };
    head.addEventListener("click", sort);
    head.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
    });
  });
  var wanted = /^#sort=(-?)(\\d+)$/.exec(location.hash);
  if (wanted && table.tHead.rows[0].cells[+wanted[2]]) sortTable(table, +wanted[2], wanted[1] !== "-");
});
"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP_WITH_SORT = CSP + f"; script-src '{SCRIPT_HASH}'"

CSS = """
:root { --ink:#1a202c; --muted:#4a5568; --line:#e2e8f0; --pass:#2f855a; --fail:#c53030;
        --err:#b7791f; --skip:#718096; --bg:#f7fafc; --accent:#3b6fb6; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { background:#1f3a5f; color:#fff; padding:18px 28px; }
header h1 { margin:0; font-size:22px; }
header p { margin:4px 0 0; color:#cbd5e0; }
header a { color:#bee3f8; }
main { max-width:1180px; margin:0 auto; padding:20px 28px 48px; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin:0 0 20px; }
h2 { font-size:17px; margin:0 0 12px; }
h3 { font-size:15px; margin:14px 0 6px; }
.stats { display:flex; gap:14px; flex-wrap:wrap; margin-bottom:20px; }
.stat { background:#fff; border:1px solid var(--line); border-radius:8px; padding:10px 16px; min-width:130px; }
.stat b { display:block; font-size:22px; }
.stat span { color:var(--muted); font-size:12px; }
.chart { max-width:100%; height:auto; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; }
table.sortable th { cursor:pointer; user-select:none; }
table.sortable th::after { content:" \\2195"; color:#cbd5e0; }
table.sortable th[aria-sort=ascending]::after { content:" \\25B2"; color:var(--ink); }
table.sortable th[aria-sort=descending]::after { content:" \\25BC"; color:var(--ink); }
.doc pre.code { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:8px 10px; overflow:auto; }
.doc h4 { margin:10px 0 4px; font-size:13px; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; }
.passed { background:var(--pass); } .failed { background:var(--fail); }
.error { background:var(--err); } .skipped { background:var(--skip); } .graded { background:var(--accent); }
.review { background:#6b46c1; } .timeout { background:#dd6b20; } .advice { background:#2b6cb0; } .not-applicable { background:#a0aec0; }
.cells { white-space:nowrap; }
.cell { display:inline-block; width:11px; height:11px; margin-right:2px; border-radius:2px; }
pre, code { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; }
pre.text { white-space:pre-wrap; word-break:break-word; background:var(--bg); border:1px solid var(--line);
           border-radius:6px; padding:10px 12px; margin:6px 0; max-height:480px; overflow:auto; }
details { margin:6px 0; }
summary { cursor:pointer; }
.muted { color:var(--muted); }
.note { color:var(--err); }
.source { border:1px solid var(--line); border-radius:6px; overflow:auto; margin:6px 0 14px; background:#fff; }
.source table { width:auto; min-width:100%; }
.source td { border:0; padding:0 10px; white-space:pre; font-family:ui-monospace,Menlo,Consolas,monospace; font-size:12.5px; }
.source td.ln { text-align:right; color:#a0aec0; user-select:none; border-right:1px solid var(--line); }
.source tr.hit td { background:#fff5f5; }
.source tr.annot td { white-space:pre-wrap; background:#fed7d7; color:#742a2a; font-family:system-ui,sans-serif; padding:3px 10px; }
.source tr.annot.advice td { background:#fefcbf; color:#744210; }
.check { border-top:1px solid var(--line); padding:8px 0; }
.check:first-of-type { border-top:0; }
.kv { color:var(--muted); font-size:12px; }
"""

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
STATUSES = frozenset({"passed", "failed", "error", "skipped", "graded", "review", "timeout", "advice",
                      "not-applicable"})


def esc(value: object) -> str:
    return escape(printable(str(value)), quote=True)


def page(title: str, header_html: str, body_html: str, sortable: bool = False) -> str:
    script = f"<script>{SORT_SCRIPT}</script>" if sortable else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP_WITH_SORT if sortable else CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><header>{header_html}</header><main>{body_html}</main>{script}</body></html>\n"
    )


def badge(status: str) -> str:
    known = status if status in STATUSES else "error"
    return f'<span class="badge {known}">{esc(status)}</span>'


def student_file_name(student: str) -> str:
    """A file name for the student's page: the id when it is already safe, else a slug + hash.

    The hash keeps two ids that slug alike ("a b" and "a_b") on distinct pages.
    """
    slug = _UNSAFE_NAME.sub("_", student).strip("._") or "student"
    if slug != student:
        slug = f"{slug[:60]}-{hashlib.sha256(student.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return f"{slug}.html"


def href(*parts: str) -> str:
    return esc("/".join(quote(p) for p in parts))


def fmt_points(value: float) -> str:
    return f"{value:g}"
