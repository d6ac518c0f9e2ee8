"""pyshell.html on the host: the builder escapes, Markup is trusted, sanitize() keeps only
harmless HTML. The same vectors run in real Pyodide + Chromium in test_html_page.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from pyshell import dom
from pyshell.html import Markup, escape, fragment, h, sanitize
from pyshell.transport import RecordingTransport

# ---- the builder --------------------------------------------------------------------------


def test_text_and_attribute_values_are_escaped() -> None:
    title = 'Tom & "Jerry" <script>alert(1)</script>'
    built = h("li", {"class": "task", "data-id": 3}, h("span", title), title=title)
    assert built == ('<li class="task" data-id="3" title="Tom &amp; &quot;Jerry&quot; '
                     '&lt;script&gt;alert(1)&lt;/script&gt;"><span>Tom &amp; "Jerry" '
                     '&lt;script&gt;alert(1)&lt;/script&gt;</span></li>')
    assert isinstance(built, Markup)


def test_keyword_attributes_and_value_kinds() -> None:
    assert h("input", type="checkbox", class_="toggle", data_id=7, checked=True,
             disabled=False, aria_label="Done", title=None) == (
        '<input type="checkbox" class="toggle" data-id="7" checked aria-label="Done">')
    assert h("label", "x", for_="a") == '<label for="a">x</label>'
    assert h("li", class_={"task": True, "done": False, "new": 1}) == '<li class="task new"></li>'
    assert h("li", class_=["task", "", "done"]) == '<li class="task done"></li>'
    assert h("p", style={"color": "red", "margin": None}) == '<p style="color: red"></p>'


def test_children_flatten_and_skip_nothing_values() -> None:
    done = False
    assert h("ul", [h("li", t) for t in ("a", "<b>")], None, done and h("i", "x"), 3, 1.5,
             (c for c in "yz")) == "<ul><li>a</li><li>&lt;b&gt;</li>31.5yz</ul>"
    assert fragment(h("li", t) for t in "ab") == "<li>a</li><li>b</li>"


def test_script_urls_are_neutralised_unless_trusted() -> None:
    for url in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:x", "vbscript:x",
                "\x01javascript:x"):
        assert 'href="about:invalid#unsafe-url"' in h("a", "x", href=url), url
    assert 'href="https://example.org/?a=1&amp;b=2"' in h("a", href="https://example.org/?a=1&b=2")
    assert 'src="about:invalid#unsafe-url"' in h("img", src="javascript:x")
    assert "about:invalid" in h("img", srcset="a.png 1x, javascript:x 2x")
    assert h("a", href=Markup("javascript:void(0)")) == '<a href="javascript:void(0)"></a>'
    assert 'href="data:text/csv,a"' in h("a", href="data:text/csv,a")  # not a script


@pytest.mark.parametrize(("call", "error"), [
    (lambda: h("a", onclick="x()"), "@dom.on"),
    (lambda: h("a", {"OnMouseOver": "x()"}), "@dom.on"),
    (lambda: h("li x", "t"), "tag name"),
    (lambda: h("a", {'x" onclick="y': "1"}), "attribute name"),
    (lambda: h("br", "text"), "void"),
    (lambda: h("script", "alert(1)"), "never runs"),
    (lambda: h("style", "p{}</style><img src=x onerror=alert(1)>"), "</style"),
    (lambda: h("a", href=object()), "attribute value"),
])
def test_what_the_builder_refuses(call, error: str) -> None:
    with pytest.raises((ValueError, TypeError), match=re.escape(error)):
        call()


def test_style_text_goes_in_raw() -> None:
    assert h("style", "a > b { color: red }") == "<style>a > b { color: red }</style>"


def test_markup_combines_with_text_by_escaping_it() -> None:
    assert Markup("<b>") + "<i>" == "<b>&lt;i&gt;"
    assert "<i>" + Markup("<b>") == "&lt;i&gt;<b>"
    assert Markup("<br>").join(["a&b", Markup("<i>c</i>")]) == "a&amp;b<br><i>c</i>"
    template = Markup('<a href="{url}" title="{}">{}</a>')
    assert template.format('"q"', Markup("<b>ok</b>"), url="/x?a=1&b=2") == (
        '<a href="/x?a=1&amp;b=2" title="&quot;q&quot;"><b>ok</b></a>')
    assert Markup("{n:>4}").format(n=7) == "   7"
    assert escape("<x>") == "&lt;x&gt;" and escape(Markup("<x>")) == "<x>"
    assert repr(Markup("<b>")) == "Markup('<b>')"


def test_objects_with_dunder_html_are_trusted() -> None:
    class Jinja:  # as markupsafe.Markup
        def __html__(self) -> str:
            return "<em>j</em>"

    assert h("p", Jinja()) == "<p><em>j</em></p>"
    assert Markup(Jinja()) == "<em>j</em>"


# ---- el.html and append ---------------------------------------------------------------------
@pytest.fixture
def page():
    transport = RecordingTransport()
    dom.use_transport(transport)
    yield transport
    dom.use_transport(None)


def test_el_html_takes_markup_and_plain_strings_unchanged(page: RecordingTransport) -> None:
    dom.select("#a").html = h("b", "<x>")
    dom.select("#a").html = "<i>raw, not sanitized</i>"
    dom.select("#a").text = h("b", "x")  # text is text: the tags show
    dom.flush()
    assert page.ops == [["set", {"sel": "#a"}, "innerHTML", "<b>&lt;x&gt;</b>"],
                        ["set", {"sel": "#a"}, "innerHTML", "<i>raw, not sanitized</i>"],
                        ["set", {"sel": "#a"}, "textContent", "<b>x</b>"]]


def test_append_takes_markup_as_html_and_str_as_text(page: RecordingTransport) -> None:
    dom.select("#list").append(h("li", "a"), "<li>text</li>")
    made = dom.create("ul", html=fragment(h("li", "x")), children=[h("li", "y")])
    dom.flush()
    assert page.ops[0] == ["append", {"sel": "#list"}, [{"html": "<li>a</li>"}, "<li>text</li>"]]
    assert ["set", made._ref, "innerHTML", "<li>x</li>"] in page.ops
    assert ["append", made._ref, [{"html": "<li>y</li>"}]] in page.ops


# ---- sanitize ---------------------------------------------------------------------------------
# Vectors in the manner of OWASP's XSS filter evasion cheat sheet. Each payload calls
# xss(N); the page test defines it and checks it never runs.
VECTORS = [
    "<script>xss(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<ScRiPt>xss(2)</sCrIpT>",
    "<img src=x onerror=xss(3)>",
    "<IMG SRC=x OnErRoR=xss(4)>",
    "<img src=x onerror=\"xss(5)\"//>",
    "<img src=`x` onerror=xss(6)>",
    "<img\tsrc=x\nonerror=xss(7)>",
    "<img src=x onerror=&#x78;ss(8)>",
    '<img """><script>xss(9)</script>">',
    "<img src=/ onerror=xss(10)",
    "<img/src=x/onerror=xss(11)>",
    '<a href="javascript:xss(12)">click</a>',
    '<a href="JaVaScRiPt:xss(13)">click</a>',
    '<a href="jav&#x09;ascript:xss(14)">click</a>',
    '<a href="jav\tascript:xss(15)">click</a>',
    '<a href="jav&#x0A;ascript:xss(16)">click</a>',
    '<a href=" &#14;  javascript:xss(17)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;xss(18)">click</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058xss(19)">click</a>',
    '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;xss(20)">click</a>',
    '<a href="javascript&colon;xss(21)">click</a>',
    '<a href="vbscript:xss(22)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD54c3MoMjMpPC9zY3JpcHQ+">click</a>',
    "<svg onload=xss(24)>",
    "<svg><script>xss(25)</script></svg>",
    "<svg><a xlink:href=\"javascript:xss(26)\"><text x=20 y=20>click</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=xss(27)>",
    "<math href=\"javascript:xss(28)\">click</math>",
    "<body onload=xss(29)>",
    "<iframe src=\"javascript:xss(30)\"></iframe>",
    "<iframe srcdoc=\"&lt;img src=x onerror=xss(31)&gt;\"></iframe>",
    "<object data=\"javascript:xss(32)\"></object>",
    "<embed src=\"javascript:xss(33)\">",
    "<form action=\"javascript:xss(34)\"><button>go</button></form>",
    "<form><button formaction=\"javascript:xss(35)\">go</button></form>",
    "<input onfocus=xss(36) autofocus>",
    "<details open ontoggle=xss(37)>",
    "<div style=\"width: expression(xss(38))\">e</div>",
    "<div style=\"background:url('javascript:xss(39)')\">u</div>",
    "<style>@import 'javascript:xss(40)';</style>",
    "<!--<img src=x onerror=xss(41)>-->",
    "<!--[if gte IE 4]><script>xss(42)</script><![endif]-->",
    "<![CDATA[<img src=x onerror=xss(43)>]]>",
    "<noscript><p title=\"</noscript><img src=x onerror=xss(44)>\"></noscript>",
    "<textarea><img src=x onerror=xss(45)></textarea>",
    "<title><img src=x onerror=xss(46)></title>",
    "<scr<script>ipt>xss(47)</scr</script>ipt>",
    "<<script>xss(48);//<</script>",
    "<div><img src=x onerror=xss(49)",
    "<p>unclosed <b>nested <i>tags",
    "<a href=\"#\" onmouseover=\"xss(50)\">hover</a>",
    "<div onclick=xss(51)>click</div>",
    "<video><source onerror=\"xss(52)\"></video>",
    "<audio src=x onerror=xss(53)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:xss(54)\">",
    "<link rel=stylesheet href=\"javascript:xss(55)\">",
    "<base href=\"javascript:xss(56)//\">",
    "<table background=\"javascript:xss(57)\"><tr><td>t</td></tr></table>",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9eHNzKDU4KT4=\">",
    "<img src=\"data:text/html,<script>xss(59)</script>\">",
    "<template><img src=x onerror=xss(60)></template>",
    "<select><option><img src=x onerror=xss(61)></option></select>",
    "<a href=\"java\x00script:xss(62)\">click</a>",
    "<xmp><img src=x onerror=xss(63)></xmp>",
    "<plaintext><img src=x onerror=xss(64)>",
    "<img src=x:alert(xss(65)) onerror=eval(src)>",
    "<a href=\"  javascript:xss(66)\">click</a>",
    "<isindex type=image src=1 onerror=xss(67)>",
    "<marquee onstart=xss(68)>m</marquee>",
    "<div id=\"pyshell-error\" name=\"x\">clobber</div>",
    "</p><img src=x onerror=xss(69)><p>",
    "<?xml version=\"1.0\"?><img src=x onerror=xss(70)>",
]

# What must survive, and how it comes out.
SAFE = [
    ("<p>Hello <strong>world</strong> &amp; <em>all</em></p>",
     "<p>Hello <strong>world</strong> &amp; <em>all</em></p>"),
    ('<h2>Title</h2><ul><li>one</li><li><a href="https://example.org/x?a=1&amp;b=2">two</a></li></ul>',
     '<h2>Title</h2><ul><li>one</li><li><a href="https://example.org/x?a=1&amp;b=2">two</a></li></ul>'),
    ('<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>',
     '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>'),
    ('<table><thead><tr><th style="text-align: left;">A</th></tr></thead>'
     '<tbody><tr><td colspan="2">1</td></tr></tbody></table>',
     '<table><thead><tr><th style="text-align: left">A</th></tr></thead>'
     '<tbody><tr><td colspan="2">1</td></tr></tbody></table>'),
    ('<img src="pic.png" alt="A pic" width="20"><img src="data:image/png;base64,iVBORw0KGgo=" alt="">',
     '<img src="pic.png" alt="A pic" width="20"><img src="data:image/png;base64,iVBORw0KGgo=" alt>'),
    ('<blockquote cite="https://example.org/">q</blockquote><a href="#notes">n</a>'
     '<a href="mailto:a@example.org">m</a>',
     '<blockquote cite="https://example.org/">q</blockquote><a href="#notes">n</a>'
     '<a href="mailto:a@example.org">m</a>'),
    ('<ul><li><input type="checkbox" checked disabled> done</li></ul>',
     '<ul><li><input type="checkbox" checked disabled> done</li></ul>'),
    ("<details open><summary>More</summary><p>text</p></details>",
     "<details open><summary>More</summary><p>text</p></details>"),
    ('<font color="red"><center>kept text</center></font>', "kept text"),
]


class Inspect(HTMLParser):
    """Every tag and attribute of sanitized output, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]


ALLOWED_OUTPUT_TAGS = {"a", "img", "p", "b", "i", "div", "table", "tr", "td", "tbody", "input",
                       "details", "span"}


@pytest.mark.parametrize("vector", VECTORS)
def test_vector_comes_out_harmless(vector: str) -> None:
    clean = sanitize(vector)
    found = Inspect()
    found.feed(clean)
    found.close()
    assert set(found.tags) <= ALLOWED_OUTPUT_TAGS, (vector, clean)
    for name, value in found.attrs:
        assert not name.startswith("on"), (vector, clean)
        assert name not in ("id", "name", "srcdoc", "formaction", "action", "background",
                            "xlink:href", "data"), (vector, clean)
        if name in ("href", "src"):
            assert not re.match(r"\s*(javascript|vbscript|data:text)", value, re.I), (vector, clean)
    # A payload may survive only as text or inside a relative URL (a path, never run).
    assert "xss(" not in "".join(v for n, v in found.attrs if n not in ("href", "src")), clean
    assert sanitize(clean) == clean  # sanitized output is a fixed point


@pytest.mark.parametrize(("given", "expected"), SAFE)
def test_safe_content_survives(given: str, expected: str) -> None:
    assert sanitize(given) == expected


def test_specific_outcomes() -> None:
    assert sanitize("<p>unclosed <b>nested <i>tags") == "<p>unclosed <b>nested <i>tags</i></b></p>"
    assert sanitize("<svg onload=xss(1)><p>in svg</p></svg>after") == "after"
    assert sanitize('<a href="jav&#x09;ascript:xss(1)">click</a>') == "<a>click</a>"
    assert sanitize("<input type=text value=x>t") == "t"
    assert sanitize("<input type=checkbox>") == '<input type="checkbox" disabled>'
    assert sanitize('<div style="width: expression(x); color: #333">s</div>') == (
        '<div style="color: #333">s</div>')
    assert sanitize("a < b &amp; c > d") == "a &lt; b &amp; c &gt; d"
    assert sanitize('<img src="data:image/svg+xml;base64,AA">') == "<img>"
    assert isinstance(sanitize("x"), Markup)
