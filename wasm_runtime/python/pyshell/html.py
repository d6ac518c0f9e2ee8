"""HTML from Python that is safe by default: an element builder, ``Markup`` for trusted
HTML, and ``sanitize()`` for HTML you did not write.

Text put into markup is escaped unless it is marked as HTML already:

    from pyshell.html import Markup, fragment, h, sanitize

    h("li", h("span", title), class_="task", data_id=3)
    # -> <li class="task" data-id="3"><span>Tom &amp; Jerry &lt;3</span></li>

    Markup("<b>{}</b>").format(name)        # a template whose values are escaped
    sanitize(markdown.markdown(user_text))  # untrusted HTML: only harmless tags survive

Whatever ``h()``, ``fragment()``, ``Markup.format()`` and ``sanitize()`` return is a
``Markup``: assigned to ``el.html`` or given to ``el.append()`` it goes in as HTML. A plain
``str`` given to ``el.html`` goes in as HTML too, unchanged and **not sanitized**: that is
what ``Markup`` and these helpers are for.
"""

from __future__ import annotations

import html as _html
import re
import string
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any, Protocol, SupportsIndex, TypeAlias, runtime_checkable

__all__ = ["HasHTML", "Markup", "escape", "fragment", "h", "sanitize"]


@runtime_checkable
class HasHTML(Protocol):
    """Anything that knows its own HTML: ``Markup``, and markupsafe's (Jinja's) Markup."""

    def __html__(self) -> str: ...


class Markup(str):
    """A string that is HTML already: inserted as it is, never escaped again.

    Only wrap HTML you wrote or trust; text combined with a ``Markup`` (``+``, ``join``,
    ``format``) is escaped on the way in, so ``Markup("<b>") + "<i>"`` is
    ``<b>&lt;i&gt;``. Other ``str`` methods return a plain ``str``, which would be
    escaped where it is used.
    """

    __slots__ = ()

    def __new__(cls, value: object = "") -> Markup:
        if isinstance(value, HasHTML):
            value = value.__html__()
        return super().__new__(cls, value)

    def __html__(self) -> str:
        return self

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"

    def __add__(self, other: str) -> Markup:
        return Markup(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> Markup:
        return Markup(str.__add__(escape(other), self))

    def join(self, items: Iterable[str]) -> Markup:
        return Markup(str.join(self, (escape(item) for item in items)))

    def format(self, *args: object, **kwargs: object) -> Markup:
        """This template with every value escaped (a value that is ``Markup`` is not):
        ``Markup('<a href="{url}">{}</a>').format(text, url=url)``. Put attribute values
        in quotes, as here."""
        return Markup(_EscapingFormatter().vformat(self, args, kwargs))

    def format_map(self, mapping: Mapping[str, object]) -> Markup:  # type: ignore[override]
        return Markup(_EscapingFormatter().vformat(self, (), mapping))

    def __mul__(self, count: SupportsIndex) -> Markup:
        return Markup(str.__mul__(self, count))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, HasHTML):
            return value.__html__()
        return _html.escape(format(value, format_spec), quote=True)


def escape(value: object) -> Markup:
    """Text as HTML: ``&``, ``<``, ``>`` and both quotes escaped (a ``Markup`` stays as it is)."""
    if isinstance(value, HasHTML):
        return Markup(value.__html__())
    return Markup(_html.escape(str(value), quote=True))


# ---- the element builder -----------------------------------------------------------------
Child: TypeAlias = "str | HasHTML | int | float | bool | None | Iterable[Child]"
AttrValue: TypeAlias = ("str | HasHTML | int | float | bool | None | Iterable[str] "
                        "| Mapping[str, Any]")

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})
_TAG = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_ATTRIBUTE = re.compile(r"[^\s\"'<>/=\x00-\x1f\x7f]+\Z")
# Attributes whose value the browser follows as a URL (srcset: a list of them).
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "poster",
                            "background", "cite", "data", "codebase", "manifest", "ping",
                            "srcset", "imagesrcset"})
UNSAFE_URL = "about:invalid#unsafe-url"  # what h() puts in place of a javascript: URL


def h(tag: str, attrs: Mapping[str, AttrValue] | Child = None, /, *children: Child,
      **kwattrs: AttrValue) -> Markup:
    """One element as HTML, its text and attribute values escaped.

    ``h("li", h("span", title), class_="task", data_id=3)``; attributes may also come as a
    mapping before the children: ``h("li", {"class": "task", "data-id": 3}, ...)``.
    Keyword names lose a trailing ``_`` and have ``_`` for ``-`` (``class_``, ``for_``,
    ``aria_label``). Values: ``True`` writes the attribute bare, ``None``/``False`` leaves it
    out, ``class`` takes a list or a ``{name: bool}`` mapping, ``style`` a ``{property:
    value}`` mapping. A URL attribute (``href``, ``src``...) given a ``javascript:`` or
    ``vbscript:`` URL gets ``about:invalid#unsafe-url`` instead (wrap the value in
    ``Markup`` to insist). ``on*`` attributes are refused: use ``@dom.on``.

    Children: text (escaped), ``Markup`` and other ``h()`` results (as they are), numbers,
    lists and generators of children; ``None`` and ``False`` are skipped, so
    ``done and h("span", "✓")`` works.
    """
    if not _TAG.match(tag):
        raise ValueError(f"not a tag name: {tag!r}")
    if attrs is None or isinstance(attrs, Mapping):
        given: list[tuple[str, AttrValue]] = list((attrs or {}).items())
    else:
        children = (attrs, *children)
        given = []
    given += [(name.rstrip("_").replace("_", "-"), value) for name, value in kwattrs.items()]
    name = tag.lower()
    parts = [f"<{name}"]
    for attr, value in given:
        text = _attribute(attr, value)
        if text is not None:
            parts.append(text)
    parts.append(">")
    if name in VOID:
        if any(_flatten(children)):
            raise ValueError(f"<{name}> is a void element: it cannot have children")
        return Markup("".join(parts))
    if name == "script":
        raise ValueError("<script> never runs when inserted as HTML (and the app's policy "
                         "forbids inline scripts): write the behaviour in Python")
    parts += _raw_text(name, children) if name == "style" else _flatten(children)
    parts.append(f"</{name}>")
    return Markup("".join(parts))


def fragment(*children: Child) -> Markup:
    """Several children as one piece of HTML: ``el.html = fragment(h("li", t) for t in ts)``."""
    return Markup("".join(_flatten(children)))


def _flatten(children: Iterable[Child]) -> list[str]:
    out: list[str] = []
    for child in children:
        if child is None or isinstance(child, bool):
            continue
        if type(child) is str:
            out.append(_html.escape(child, quote=False))
        elif isinstance(child, Markup):
            out.append(child)
        elif isinstance(child, HasHTML):  # markupsafe's Markup (a str too), and the like
            out.append(child.__html__())
        elif isinstance(child, str):
            out.append(_html.escape(child, quote=False))
        elif isinstance(child, int | float):
            out.append(str(child))
        elif isinstance(child, Iterable):
            out += _flatten(child)
        else:
            out.append(_html.escape(str(child), quote=False))
    return out


def _raw_text(tag: str, children: Iterable[Child]) -> list[str]:
    """A <style>'s text goes in as it is (CSS has no entities); it may not end the element."""
    text = "".join(c.__html__() if isinstance(c, HasHTML) else str(c)
                   for c in children if c is not None and not isinstance(c, bool))
    if f"</{tag}" in text.lower():
        raise ValueError(f"the text of <{tag}> cannot contain '</{tag}'")
    return [text]


def _attribute(name: str, value: AttrValue) -> str | None:
    if not _ATTRIBUTE.match(name):
        raise ValueError(f"not an attribute name: {name!r}")
    lower = name.lower()
    if lower.startswith("on"):
        raise ValueError(f"{name}: event handler attributes do not run under the app's "
                         "policy; register a handler with @dom.on instead")
    if value is None or value is False:
        return None
    if value is True:
        return f" {name}"
    if isinstance(value, HasHTML):
        return f' {name}="{value.__html__()}"'  # trusted: as it is, no URL check
    if lower == "class" and not isinstance(value, str | int | float):
        if isinstance(value, Mapping):
            text = " ".join(str(k) for k, on in value.items() if on)
        else:
            text = " ".join(str(v) for v in value if v)
    elif lower == "style" and isinstance(value, Mapping):
        text = "; ".join(f"{k}: {v}" for k, v in value.items() if v is not None)
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise TypeError(f"{name}: an attribute value is text, a number or a bool, "
                        f"not {type(value).__name__}")
    if lower in URL_ATTRIBUTES and _runs_script(text, lower):
        text = UNSAFE_URL
    return f' {name}="{_html.escape(text, quote=True)}"'


def _runs_script(value: str, attribute: str) -> bool:
    urls = [c.strip().split(" ")[0] for c in value.split(",")] if "srcset" in attribute \
        else [value]
    return any(_scheme(url) in ("javascript", "vbscript") for url in urls)


# ---- URLs as the browser reads them ------------------------------------------------------
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_IGNORED_IN_URLS = str.maketrans("", "", "\t\n\r")  # the URL parser drops these anywhere


def _clean_url(value: str) -> str | None:
    """The URL the browser would follow for this attribute value (entities decoded
    already), or None when it holds control characters (never needed, often a trick)."""
    url = value.translate(_IGNORED_IN_URLS).strip("".join(map(chr, range(0x21))))
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None
    return url


def _scheme(value: str) -> str | None:
    """The URL's scheme, lower case; "" for a relative URL; None for an unreadable one."""
    url = _clean_url(value)
    if url is None:
        return None
    match = _SCHEME.match(url)
    return match[1].lower() if match else ""


# ---- sanitizing ------------------------------------------------------------------------
# What untrusted HTML keeps: text structure, links and images. Everything else is removed:
# a tag not listed below is dropped and its content kept, a tag in _DROPPED goes with its
# content, and any attribute not listed is dropped.
SAFE_TAGS = frozenset({
    "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "blockquote", "br",
    "caption", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl",
    "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "i", "img", "input", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
    "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var",
    "wbr",
})
_DROPPED = frozenset({
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "noframes",
    "object", "embed", "applet", "math", "svg", "textarea", "select", "option", "datalist",
    "title", "xmp", "plaintext", "noembed", "head", "canvas", "button",
})
_GLOBAL_ATTRIBUTES = frozenset({"title", "lang", "dir", "class", "style"})
_TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "blockquote": frozenset({"cite"}), "q": frozenset({"cite"}),
    "del": frozenset({"cite", "datetime"}), "ins": frozenset({"cite", "datetime"}),
    "time": frozenset({"datetime"}), "abbr": frozenset({"title"}),
    "td": frozenset({"colspan", "rowspan", "align"}),
    "th": frozenset({"colspan", "rowspan", "align", "scope"}),
    "col": frozenset({"span"}), "colgroup": frozenset({"span"}),
    "ol": frozenset({"start", "reversed", "type"}), "li": frozenset({"value"}),
    "details": frozenset({"open"}),
    "input": frozenset({"type", "checked"}),  # Markdown task lists: disabled checkboxes only
}
_NUMBER_ATTRIBUTES = frozenset({"width", "height", "colspan", "rowspan", "span", "start",
                                "value"})
_CHOICES = {"dir": {"ltr", "rtl", "auto"}, "align": {"left", "right", "center", "justify"},
            "scope": {"row", "col", "rowgroup", "colgroup"},
            "type": {"1", "a", "A", "i", "I", "checkbox"}}
_LINK_SCHEMES = frozenset({"", "http", "https", "mailto", "tel"})
_IMAGE_SCHEMES = frozenset({"", "http", "https"})
_DATA_IMAGE = re.compile(r"data:image/(png|gif|jpeg|jpg|webp|avif|bmp|x-icon)[;,]", re.I)
_STYLE_PROPERTIES = frozenset({"text-align", "vertical-align", "font-weight", "font-style",
                               "text-decoration", "color", "background-color"})
_STYLE_VALUE = re.compile(r"[A-Za-z0-9#%.,\s-]*\Z")


def sanitize(markup: str) -> Markup:
    """Untrusted HTML (rendered Markdown, a pasted snippet, a web page's fragment) made
    safe to insert: what comes back holds only harmless elements and attributes.

    - Kept: text and its structure (paragraphs, headings, lists, tables, quotes, code,
      emphasis, ``details``), links (``http:``, ``https:``, ``mailto:``, ``tel:`` and
      relative), images (``http(s):``, relative, and ``data:image/`` PNG, GIF, JPEG, WebP,
      AVIF, BMP, icons: no SVG), ``class``, ``title``, ``lang``, ``dir``, and from
      ``style`` only colours, weights and alignment without functions or URLs.
    - Removed with their content: ``script``, ``style``, ``template``, ``iframe``,
      ``object``, ``embed``, ``svg``, ``math``, ``noscript``, ``textarea``, ``select``,
      ``button`` and the like. Removed, content kept: every other tag not listed
      (``form``, ``font``, ``body``...).
    - Every other attribute goes: event handlers (``on*``), ``srcdoc``, ``formaction``,
      ``id`` and ``name`` (which could shadow the app's own elements), ``target``...
      A ``javascript:``, ``vbscript:`` or ``data:`` URL (however it is written: entities,
      tabs, upper case) removes its attribute. Comments, CDATA and processing
      instructions are dropped; unclosed tags are closed.
    - Task-list checkboxes (``<input type="checkbox">``) stay, always ``disabled``; any
      other ``input`` goes.

    The input is parsed with Python's ``html.parser`` and written out afresh (every value
    quoted and escaped), so what the browser reads is exactly what was checked.
    """
    parser = _Sanitizer()
    parser.feed(str(markup))
    parser.close()
    return Markup(parser.result())


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._open: list[str] = []      # elements written and not closed yet
        self._skipping: list[str] = []  # dropped elements whose content is being dropped

    def result(self) -> str:
        return "".join(self._out + [f"</{tag}>" for tag in reversed(self._open)])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping or tag in _DROPPED:
            if tag in _DROPPED and tag not in VOID:
                self._skipping.append(tag)
            return
        if tag not in SAFE_TAGS:
            return
        kept = self._attributes(tag, attrs)
        if kept is None:
            return
        self._out.append(f"<{tag}" + "".join(
            f' {name}="{_html.escape(value, quote=True)}"' if value else f" {name}"
            for name, value in kept) + ">")
        if tag not in VOID:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag in self._skipping:
                del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag):]
            return
        if tag in self._open:
            while self._open:
                last = self._open.pop()
                self._out.append(f"</{last}>")
                if last == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._out.append(_html.escape(data, quote=False))

    # Comments, <!DOCTYPE>, <![CDATA[...]]> and <?...>: dropped (the default handlers).

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]
                    ) -> list[tuple[str, str]] | None:
        """The attributes kept, or None when the element itself must go."""
        allowed = _GLOBAL_ATTRIBUTES | _TAG_ATTRIBUTES.get(tag, frozenset())
        kept: dict[str, str] = {}
        for name, raw in attrs:
            if name in kept or name not in allowed:  # the browser keeps the first one too
                continue
            value = _attribute_value(tag, name, raw or "")
            if value is not None:
                kept[name] = value
        if tag == "input":
            if kept.get("type") != "checkbox":
                return None
            kept["disabled"] = ""
        return list(kept.items())


def _attribute_value(tag: str, name: str, value: str) -> str | None:
    """The value to write for this attribute, or None to drop it."""
    if name in ("href", "src", "cite"):
        scheme = _scheme(value)
        url = _clean_url(value)
        if url is None or scheme is None:
            return None
        if tag == "img" and name == "src":
            ok = scheme in _IMAGE_SCHEMES or (scheme == "data" and bool(_DATA_IMAGE.match(url)))
        else:
            ok = scheme in _LINK_SCHEMES
        return url if ok else None
    if name == "style":
        return _safe_style(value)
    if name in _NUMBER_ATTRIBUTES:
        return value.strip() if value.strip().isdigit() and value.strip().isascii() else None
    if name in _CHOICES:
        return value if value in _CHOICES[name] else None
    return value


def _safe_style(value: str) -> str | None:
    kept = []
    for declaration in value.split(";"):
        prop, colon, val = declaration.partition(":")
        prop, val = prop.strip().lower(), val.strip()
        if colon and prop in _STYLE_PROPERTIES and val and _STYLE_VALUE.match(val):
            kept.append(f"{prop}: {val}")
    return "; ".join(kept) or None
