"""Streaming XML canonicalization: Exclusive C14N 1.0 and C14N 1.0, both without comments.

A :class:`Canonicalizer` is an :class:`~agent.core.xmlstream.XmlEvents` consumer that writes the
canonical form to a sink (``hashlib`` object's ``update``, a list's ``append``) as the events
arrive. Character data goes straight through, escaped chunk by chunk, so a 500 MB base64 text
node never sits in memory.

What it implements (W3C ``xml-exc-c14n`` and ``xml-c14n`` 1.0, the "without comments" forms):

* namespace declarations: exclusive mode renders the *visibly utilized* ones (the element's own
  prefix, or the default namespace when unprefixed, and its attributes' prefixes) that the nearest
  output ancestor has not already rendered with the same value; an ``InclusiveNamespaces``
  ``PrefixList`` (``#default`` for the default namespace) is honoured. Inclusive mode renders every
  in-scope namespace that differs from the output parent's. ``xmlns=""`` appears only where it
  undoes a rendered non-empty default namespace;
* ``xmlns`` declarations sorted by prefix (default first), then attributes by (namespace URI,
  local name); ``xml:*`` attributes of omitted ancestors are inherited by the apex in inclusive
  mode only;
* text escapes ``&amp; &lt; &gt; &#xD;``; attribute escapes ``&amp; &lt; &quot; &#x9; &#xA;
  &#xD;``; empty elements as start/end pairs; no XML declaration; comments dropped; processing
  instructions before the root followed by ``#xA`` and after it preceded by ``#xA``.

Two filters make the document subsets XML signatures need:

* :class:`ExcludeSubtree` drops one element and its descendants (the enveloped-signature
  transform) while forwarding everything else;
* :class:`SelectSubtree` forwards only the subtree of a selected element (``SignedInfo``) to a
  canonicalizer that starts from the namespace context in scope there.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from agent.core.xmlstream import QName, XmlEvents

XML_NS = "http://www.w3.org/XML/1998/namespace"
ALG_EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ALG_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

Write = Callable[[bytes], object]
NsDecls = Sequence[tuple[str | None, str | None]]
Attrs = Sequence[tuple[QName, str]]
# prefix ("" for the default namespace) -> namespace URI ("" for "no default namespace")
NsMap = Mapping[str, str]

_EMPTY: dict[str, str] = {}


def escape_text(data: str) -> str:
    """Escape character data as C14N requires."""
    return (
        data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def escape_attr(value: str) -> str:
    """Escape an attribute value as C14N requires."""
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&quot;")
        .replace("\t", "&#x9;")
        .replace("\n", "&#xA;")
        .replace("\r", "&#xD;")
    )


def _qualified(name: QName) -> str:
    return f"{name.prefix}:{name.local}" if name.prefix else name.local


def apply_decls(scope: NsMap, decls: NsDecls) -> NsMap:
    """The in-scope namespace map after an element's declarations (shared when unchanged)."""
    if not decls:
        return scope
    out = dict(scope)
    for prefix, uri in decls:
        out[prefix or ""] = uri or ""
    return out


def parse_prefix_list(prefix_list: str) -> frozenset[str]:
    """An ``InclusiveNamespaces/@PrefixList``: ``#default`` stands for the default namespace."""
    return frozenset("" if p == "#default" else p for p in prefix_list.split())


class Canonicalizer:
    """Write the canonical form of the events it receives to ``write``.

    The first element received is the apex. ``context`` is the namespace map in scope at the apex
    and ``inherited_xml_attrs`` the ``xml:*`` attributes of its ancestors (inclusive mode only);
    both are empty for a whole document.
    """

    def __init__(
        self,
        write: Write,
        *,
        exclusive: bool = True,
        inclusive_prefixes: Iterable[str] = (),
        context: NsMap = _EMPTY,
        inherited_xml_attrs: Attrs = (),
    ) -> None:
        self._write = write
        self._exclusive = exclusive
        self._inclusive_prefixes = frozenset(inclusive_prefixes)
        self._scope: list[NsMap] = [context]
        self._rendered: list[NsMap] = [_EMPTY]
        self._inherited = tuple(inherited_xml_attrs) if not exclusive else ()
        self._depth = 0
        self._after_root = False

    def start(self, name: QName, attrs: Attrs, nsdecls: NsDecls) -> None:
        scope = apply_decls(self._scope[-1], nsdecls)
        parent_rendered = self._rendered[-1]
        wanted = self._visibly_utilized(name, attrs, scope) if self._exclusive else scope
        decls = _changed(wanted, parent_rendered)
        if self._depth == 0 and self._inherited:
            attrs = _merge_inherited(attrs, self._inherited)
        self._scope.append(scope)
        self._rendered.append(_extend(parent_rendered, decls))
        self._depth += 1
        self._write(_start_tag(name, decls, attrs).encode("utf-8"))

    def end(self, name: QName) -> None:
        self._scope.pop()
        self._rendered.pop()
        self._depth -= 1
        if self._depth == 0:
            self._after_root = True
        self._write(f"</{_qualified(name)}>".encode())

    def text(self, data: str) -> None:
        if self._depth:
            self._write(escape_text(data).encode("utf-8"))

    def comment(self, data: str) -> None:
        """Comments are not part of the "without comments" canonical forms."""

    def pi(self, target: str, data: str) -> None:
        body = f"<?{target} {data}?>" if data else f"<?{target}?>"
        if self._depth:
            self._write(body.encode("utf-8"))
        elif self._after_root:
            self._write(f"\n{body}".encode())
        else:
            self._write(f"{body}\n".encode())

    def _visibly_utilized(self, name: QName, attrs: Attrs, scope: NsMap) -> dict[str, str]:
        used = {name.prefix or "": name.ns}
        for attr, _ in attrs:
            if attr.prefix and attr.prefix != "xml":
                used[attr.prefix] = attr.ns
        for prefix in self._inclusive_prefixes:
            if prefix in scope:
                used.setdefault(prefix, scope[prefix])
        return used


def _changed(wanted: NsMap, rendered: NsMap) -> list[tuple[str, str]]:
    """Declarations to render: those whose value differs from what output ancestors rendered."""
    out = []
    for prefix, uri in wanted.items():
        if prefix == "xml":
            continue
        if rendered.get(prefix, "") != uri:
            out.append((prefix, uri))
    out.sort()
    return out


def _extend(rendered: NsMap, decls: list[tuple[str, str]]) -> NsMap:
    if not decls:
        return rendered
    out = dict(rendered)
    out.update(decls)
    return out


def _merge_inherited(attrs: Attrs, inherited: Attrs) -> Attrs:
    own = {(a.ns, a.local) for a, _ in attrs}
    extra = [(a, v) for a, v in inherited if (a.ns, a.local) not in own]
    return [*attrs, *extra]


def _start_tag(name: QName, decls: list[tuple[str, str]], attrs: Attrs) -> str:
    parts = ["<", _qualified(name)]
    for prefix, uri in decls:
        parts.append(f' xmlns:{prefix}="' if prefix else ' xmlns="')
        parts.append(escape_attr(uri))
        parts.append('"')
    for attr, value in sorted(attrs, key=lambda av: (av[0].ns, av[0].local)):
        parts.append(f' {_qualified(attr)}="{escape_attr(value)}"')
    parts.append(">")
    return "".join(parts)


PathTest = Callable[[Sequence[QName]], bool]


class ExcludeSubtree:
    """Forward every event except those of elements for which ``excluded(path)`` is true.

    ``path`` is the list of open element names, ending with the element being started. The
    enveloped-signature transform is this filter with a test that picks the ``Signature``.
    """

    def __init__(self, inner: XmlEvents, excluded: PathTest) -> None:
        self._inner = inner
        self._excluded = excluded
        self._path: list[QName] = []
        self._skip_depth = 0  # > 0 while inside an excluded subtree

    def start(self, name: QName, attrs: Attrs, nsdecls: NsDecls) -> None:
        self._path.append(name)
        if self._skip_depth:
            self._skip_depth += 1
        elif self._excluded(self._path):
            self._skip_depth = 1
        else:
            self._inner.start(name, attrs, nsdecls)

    def end(self, name: QName) -> None:
        self._path.pop()
        if self._skip_depth:
            self._skip_depth -= 1
        else:
            self._inner.end(name)

    def text(self, data: str) -> None:
        if not self._skip_depth:
            self._inner.text(data)

    def comment(self, data: str) -> None:
        if not self._skip_depth:
            self._inner.comment(data)

    def pi(self, target: str, data: str) -> None:
        if not self._skip_depth:
            self._inner.pi(target, data)


class SelectSubtree:
    """Canonicalize only the subtree of the first element for which ``selected(path)`` is true.

    The canonicalizer is made when that element starts, with the namespace context (and, for
    inclusive mode, the ``xml:*`` attributes) in scope there, by ``make(context, xml_attrs)``.
    """

    def __init__(self, make: Callable[[NsMap, Attrs], XmlEvents], selected: PathTest) -> None:
        self._make = make
        self._selected = selected
        self._path: list[QName] = []
        self._scope: list[NsMap] = [_EMPTY]
        self._xml_attrs: list[Attrs] = [()]
        self._inner: XmlEvents | None = None
        self._inner_depth = 0
        self.done = False

    def start(self, name: QName, attrs: Attrs, nsdecls: NsDecls) -> None:
        if self._inner is not None:
            self._inner_depth += 1
            self._inner.start(name, attrs, nsdecls)
            return
        self._path.append(name)
        if not self.done and self._selected(self._path):
            self._inner = self._make(self._scope[-1], self._xml_attrs[-1])
            self._inner_depth = 1
            self._inner.start(name, attrs, nsdecls)
            return
        self._scope.append(apply_decls(self._scope[-1], nsdecls))
        self._xml_attrs.append(_xml_attrs_in_scope(self._xml_attrs[-1], attrs))

    def end(self, name: QName) -> None:
        if self._inner is not None:
            self._inner.end(name)
            self._inner_depth -= 1
            if self._inner_depth == 0:
                self._inner, self.done = None, True
                self._path.pop()
            return
        self._path.pop()
        self._scope.pop()
        self._xml_attrs.pop()

    def text(self, data: str) -> None:
        if self._inner is not None:
            self._inner.text(data)

    def comment(self, data: str) -> None:
        if self._inner is not None:
            self._inner.comment(data)

    def pi(self, target: str, data: str) -> None:
        if self._inner is not None:
            self._inner.pi(target, data)


def _xml_attrs_in_scope(outer: Attrs, attrs: Attrs) -> Attrs:
    own = [(a, v) for a, v in attrs if a.ns == XML_NS]
    if not own:
        return outer
    names = {a.local for a, _ in own}
    return [*((a, v) for a, v in outer if a.local not in names), *own]
