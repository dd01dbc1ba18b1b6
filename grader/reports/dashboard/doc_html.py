"""A rule's documentation (the small Markdown subset the rules use) as HTML.

Headings (``## What it does``), paragraphs, fenced code blocks, bullet lists, inline
``code`` and ``**bold**``. Everything is escaped first; only the tags made here are
markup. Anything else stays text, so an unusual line is shown, never lost.
"""

from __future__ import annotations

import re

from grader.reports.dashboard.layout import esc

_INLINE_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def _inline(text: str) -> str:
    html = esc(text)
    html = _INLINE_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html)
    return _BOLD.sub(lambda m: f"<b>{m.group(1)}</b>", html)


def doc_to_html(markdown: str) -> str:
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    lines = markdown.splitlines()

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>")
            items.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
            block = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith(fence):
                block.append(lines[index])
                index += 1
            out.append(f'<pre class="code">{esc(chr(10).join(block))}</pre>')
        elif stripped.startswith("#"):
            flush()
            level = min(6, max(3, len(stripped) - len(stripped.lstrip("#")) + 2))  # ## -> h4 under the page's h3
            out.append(f"<h{level}>{_inline(stripped.lstrip('#').strip())}</h{level}>")
        elif stripped.startswith(("- ", "* ")):
            if paragraph:
                flush()
            items.append(stripped[2:])
        elif not stripped:
            flush()
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + stripped  # a wrapped list item
        else:
            if items:
                flush()
            paragraph.append(stripped)
        index += 1
    flush()
    return "".join(out)
