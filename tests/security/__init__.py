"""Security tests, and the hostile-input corpus they share with tests/browser/test_xss.py.

Every payload that could run script tries `window.__xss=1` (or `parent.__xss=1` from a frame),
so a browser test only has to look for that sentinel. The list follows the shapes of the OWASP
XSS filter evasion cheat sheet: plain script, event handlers, dangerous URL schemes (with
entity, whitespace, case and homoglyph tricks), frames and plugins, CSS, MathML/SVG namespaces,
tag breakouts from attributes, from <title> and from the JSON-LD <script> block, malformed and
nested tags, Markdown link and image syntax, comment and <noscript> mutation tricks.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

SENTINEL = "window.__xss=1"

PAYLOADS: tuple[str, ...] = (
    # script elements
    "<script>window.__xss=1</script>",
    "<SCRIPT SRC=data:text/javascript,window.__xss=1></SCRIPT>",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<<script>script>window.__xss=1<</script>/script>",
    "<template><script>window.__xss=1</script></template>",
    # event handlers
    '<img src=x onerror="window.__xss=1">',
    "<img src=x onerror=window.__xss=1",  # unclosed
    '<svg onload="window.__xss=1">',
    "<svg><script>window.__xss=1</script></svg>",
    "<svg><animate onbegin=window.__xss=1 attributeName=x dur=1s>",
    "<body onload=window.__xss=1>",
    "<details open ontoggle=window.__xss=1>x</details>",
    "<input autofocus onfocus=window.__xss=1>",
    '<video><source onerror="window.__xss=1"></video>',
    '<a href="#" onclick="window.__xss=1" onmouseover="window.__xss=1">x</a>',
    # dangerous URL schemes, in HTML
    '<a href="javascript:window.__xss=1">x</a>',
    '<a href="jav&#x09;ascript:window.__xss=1">x</a>',
    '<a href="javascript&colon;window.__xss=1">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__xss=1">x</a>',
    '<a href=" \x01javascript:window.__xss=1">x</a>',
    '<a href="java\u200bscript:window.__xss=1">x</a>',  # zero-width space
    '<a href="data:text/html,<script>window.__xss=1</script>">x</a>',
    '<a href="vbscript:msgbox(window.__xss=1)">x</a>',
    '<form action="javascript:window.__xss=1"><button>x</button></form>',
    # dangerous URL schemes, in Markdown
    "[x](javascript:window.__xss=1)",
    "[x](JaVaScRiPt:window.__xss=1)",
    "[x](javascript&#58;window.__xss=1)",
    "[x](<javascript:window.__xss=1>)",
    "[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](\uff4a\uff41\uff56\uff41\uff53\uff43\uff52\uff49\uff50\uff54:window.__xss=1)",  # fullwidth
    "![x](javascript:window.__xss=1)",
    '![x" onerror="window.__xss=1](https://example.org/a.png)',
    '[x](https://example.org/"onmouseover="window.__xss=1)',
    '<https://example.org/" onmouseover="window.__xss=1>',
    "[x]: javascript:window.__xss=1\n\n[link][x]",
    # frames, plugins, base and meta
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    '<iframe src="javascript:parent.__xss=1"></iframe>',
    '<object data="javascript:window.__xss=1"></object>',
    '<embed src="javascript:window.__xss=1">',
    '<base href="javascript:/">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    # CSS
    "<style>@import 'javascript:window.__xss=1';</style>",
    '<div style="background:url(javascript:window.__xss=1)">x</div>',
    '<p style="width: expression(window.__xss=1)">x</p>',
    # MathML namespace
    '<math><mi xlink:href="javascript:window.__xss=1">x</mi></math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:window.__xss=1">x</maction></math>',
    # breaking out of attributes, titles, and the JSON-LD block
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    "</script><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    '</textarea><img src=x onerror="window.__xss=1">',
    "\u2028\u2029</script><!--<script>window.__xss=1</script>",
    # parser mutation tricks
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    '<!--<img src="--><img src=x onerror=window.__xss=1//">',
    "`<img src=x onerror=window.__xss=1>`",
    "<b>**<i onmouseover=window.__xss=1>x</i>**</b>",
)

# What a page may run: our own static scripts only, and JSON-LD data blocks.
STATIC_SCRIPTS = re.compile(r"^/static/js/(reader|editor|comments)(\.[0-9a-f]+)?\.js$")
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "data",
        "poster",
        "background",
        "to",
        "from",
        "values",
    }
)
# The workspace draws charts as inline SVG, so <svg> itself is allowed on pages; anything in it that
# could run (script, handlers, javascript: links or animations) is caught like anywhere else, and
# the Markdown pipeline's own tag allowlist keeps authors from writing any SVG at all.
FORBIDDEN_TAGS = frozenset(
    {
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "math",
        "style",
        "base",
        "template",
        "noscript",
    }
)
_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
# The favicon placeholder in base.html, the one data: URL of the site.
_ALLOWED_DATA_URLS = {("link", "href", "data:,")}


def normalised_url(value: str) -> str:
    """The URL as a browser reads its scheme: C0 controls and spaces trimmed, tabs and newlines dropped."""
    value = re.sub(r"[\t\n\r]", "", value).strip("".join(chr(c) for c in range(0x21)))
    return value.lower()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self._in_script: dict[str, str | None] | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>: event handler attribute")
            if name in {"style", "srcdoc"}:
                self.problems.append(f"<{tag} {name}=…>: {name} attribute")
            if name in URL_ATTRIBUTES and value is not None:
                url = normalised_url(value)
                if (
                    url.startswith(_DANGEROUS_SCHEMES)
                    and (tag, name, url) not in _ALLOWED_DATA_URLS
                ):
                    self.problems.append(f"<{tag} {name}={value!r}>: dangerous URL")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>: forbidden element")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "script":
            self._in_script = values
            self._script_text = []

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not None:
            self._check_script(self._in_script, "".join(self._script_text))
            self._in_script = None

    def _check_script(self, attrs: dict[str, str | None], text: str) -> None:
        self.scripts.append(attrs)
        if attrs.get("type") == "application/ld+json" and "src" not in attrs:
            try:
                json.loads(text)
            except ValueError as error:
                self.problems.append(f"JSON-LD block is not valid JSON ({error}): {text[:120]!r}")
            if "</" in text.lower() or "<!--" in text:
                self.problems.append(
                    "JSON-LD block holds `</` or `<!--`: it could close or bend the tag"
                )
            return
        src = attrs.get("src") or ""
        if text.strip() or not STATIC_SCRIPTS.match(src):
            self.problems.append(f"unexpected script: src={src!r} text={text[:80]!r}")


def html_problems(document: str) -> list[str]:
    """Everything in `document` that could run script, as readable problems (empty: clean)."""
    parser = _Elements()
    parser.feed(document)
    parser.close()
    if parser._in_script is not None:
        parser.problems.append("an unclosed <script> element")
    return parser.problems
