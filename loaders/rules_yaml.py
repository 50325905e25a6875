"""Read ``rules.yaml`` strictly: every problem located as ``file:line:column: reason``.

The file is a mapping with one key, ``rules``: a list of rule records
(:class:`oretrace.graphmodel.rules.Rule`). Refused, each with the line and column of the offending
node: a key no record has (a typo such as ``suspension:``), a key given twice in one
mapping, two rules with one id, YAML anchors and aliases (so no input can expand into a
huge document), a file over :data:`MAX_BYTES`, codes outside the vocabulary (countries,
stages, stage words, elements, end users, categories), a ``requires`` or status event
naming no clause of its rule, status events out of date order, ``until`` or
``known_until`` before ``effective``, a clause whose kind or trigger is unknown, and a
waiver or exception naming an unknown product (when the products are known).
Dates stay text until pydantic reads them, so ``2025-13-01`` is located too.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args

import pydantic
import yaml
from oretrace.graphmodel import Problem
from oretrace.graphmodel.rules import Rule, rule_problems
from oretrace.loaders._text import decode_text, read_file

__all__ = ["MAX_BYTES", "read_rules_file"]

#: The largest rules file read (bytes); the bundled one is about 25 kB.
MAX_BYTES = 2_000_000


def _models_under(model: type[pydantic.BaseModel]) -> dict[str, type[pydantic.BaseModel]]:
    """The record model under each key of ``model`` and of the records it holds, read from
    the fields (a record, or a tuple of records)."""
    out: dict[str, type[pydantic.BaseModel]] = {}
    for name, field in model.model_fields.items():
        for held in (field.annotation, *get_args(field.annotation)):
            if isinstance(held, type) and issubclass(held, pydantic.BaseModel):
                out[name] = held
                out.update(_models_under(held))
    return out


# The record model under each key (the last key of a location), for "did you mean".
_MODEL_AT: dict[str, type[pydantic.BaseModel]] = {"": Rule, **_models_under(Rule)}


class _Refused(yaml.MarkedYAMLError):
    """A YAML construct rules.yaml does not accept."""


class _StrictLoader(yaml.SafeLoader):
    """A safe loader without anchors or aliases that leaves dates as text."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(problem="YAML aliases (*name) are not allowed in rules.yaml",
                           problem_mark=mark)
        if getattr(event, "anchor", None):
            raise _Refused(problem="YAML anchors (&name) are not allowed in rules.yaml",
                           problem_mark=mark)
        return super().compose_node(parent, index)


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mark(node: Any) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _child(node: Any, part: Any, *, key: bool = False) -> Any:
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == str(part):
                return k if key else v
    return None


def _locate(node: Any, loc: tuple[Any, ...], *, key: bool = False) -> tuple[int, int]:
    """Line and column of ``loc`` under ``node`` (the deepest node found)."""
    here = node
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        nxt = _child(here, part, key=key and last)
        if nxt is None:
            break
        here = nxt
    return _mark(here)


def _duplicate_keys(node: Any, out: list[tuple[Any, str]]) -> None:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, Any] = {}
            for k, v in n.value:
                name = str(getattr(k, "value", ""))
                if name in seen:
                    line = seen[name].start_mark.line + 1
                    out.append((k, f"key {name!r} appears twice in one mapping "
                                   f"(first at line {line})"))
                else:
                    seen[name] = k
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def _parse(text: str, fname: str) -> tuple[Any, Any, list[Problem]]:
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, [Problem(fname, 1, 0, "file is empty; expected 'rules:'")]
        dupes: list[tuple[Any, str]] = []
        _duplicate_keys(node, dupes)
        if dupes:
            return None, None, [Problem(fname, *_mark(k), reason) for k, reason in dupes]
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, None, [Problem(fname, (mark.line + 1) if mark else 0,
                                    (mark.column + 1) if mark else 0,
                                    f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]
    except RecursionError:
        return None, None, [Problem(fname, 0, 0, "not valid YAML: nested too deeply")]
    finally:
        loader.dispose()
    return node, data, []


def _unknown_key(loc: tuple[Any, ...]) -> str:
    parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
    model = _MODEL_AT.get(parent, Rule)
    name = str(loc[-1])
    close = difflib.get_close_matches(name, list(model.model_fields), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {name!r}{hint} (allowed: {', '.join(model.model_fields)})"


def _message(err: Any) -> str:
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        return _unknown_key(tuple(err.get("loc") or ()))
    if err.get("type") in {"literal_error", "enum"}:
        return f"{err.get('input')!r} is not allowed: {msg[0].lower()}{msg[1:]}"
    return msg


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def read_rules_file(path: Path, fname: str, *, products: set[str] | None = None
                    ) -> tuple[list[tuple[Rule, int]], list[Problem]]:
    """Read ``path``; return its rules (each with its line) and every problem found.

    ``products``: the product ids of the dataset, to check waivers and exceptions against
    (``None``: not checked, as for the bundled rules applied to another dataset). The rules
    are only complete when no problem is returned.
    """
    unreadable: list[Problem] = []

    def report(file: str, line: int, column: int, reason: str) -> None:
        unreadable.append(Problem(file, line, column, reason))

    # the same file checks as every dataset file (regular, inside the dataset, no NUL, UTF-8)
    raw = read_file(path.parent, fname, report, required=True, path=path)
    text = None if raw is None else decode_text(fname, raw, report)
    if raw is not None and len(raw) > MAX_BYTES:
        return [], [Problem(fname, 0, 0, f"file is {len(raw):,} bytes, over the "
                                         f"{MAX_BYTES:,}-byte bound of rules.yaml")]
    if text is None:
        return [], unreadable
    node, data, problems = _parse(text, fname)
    if problems:
        return [], problems
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return [], [Problem(fname, 1, 0, "expected a mapping with a list under the key "
                                         "'rules'")]
    for key in data:
        if key != "rules":
            problems.append(Problem(fname, *_locate(node, (key,), key=True),
                                    f"unknown top-level key {key!r} (only 'rules')"))
    items = _child(node, "rules")
    out: list[tuple[Rule, int]] = []
    first_line: dict[str, int] = {}
    for i, item in enumerate(data["rules"]):
        item_node = items.value[i]
        line = item_node.start_mark.line + 1
        rid = item.get("id") if isinstance(item, dict) else None
        name = f"rule {rid}" if isinstance(rid, str) and rid else f"rule #{i + 1}"
        if isinstance(rid, str) and rid:
            if rid in first_line:
                problems.append(Problem(fname, *_locate(item_node, ("id",)),
                                        f"duplicate rule id {rid!r} (first at line "
                                        f"{first_line[rid]})"))
            first_line.setdefault(rid, line)
        try:
            rule = Rule.model_validate(item, context={"located": True})
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err.get("loc") or ())
                if loc and loc[0] in ("function-after[rule_is_consistent()]",):
                    loc = loc[1:]
                key = err.get("type") == "extra_forbidden"
                problems.append(Problem(fname, *_locate(item_node, loc, key=key),
                                        f"{name}: {_where(loc) + ': ' if loc else ''}"
                                        f"{_message(err)}"))
            continue
        found = rule_problems(rule)
        if products is not None:
            found += _reference_problems(rule, products)
        for loc, reason in found:
            problems.append(Problem(fname, *_locate(item_node, loc),
                                    f"{name}: {_where(loc)}: {reason}"))
        if not found:
            out.append((rule, line))
    return out, problems


def _reference_problems(rule: Rule, products: set[str]
                        ) -> list[tuple[tuple[str | int, ...], str]]:
    out: list[tuple[tuple[str | int, ...], str]] = []
    for i, w in enumerate(rule.waivers):
        if w.end_item not in products:
            out.append((("waivers", i, "end_item"),
                        f"waiver {w.id} names unknown product {w.end_item!r}"))
    for i, e in enumerate(rule.exceptions):
        for j, p in enumerate(e.products):
            if p not in products:
                out.append((("exceptions", i, "products", j),
                            f"exception {e.id} names unknown product {p!r}"))
    return out
