"""rules.yaml is read strictly: each kind of bad input gives file:line:column: reason.

Each case writes a small rules.yaml into a copy of tests/data/mini (products ore, oxide,
magnet, actuator, missile) and counts lines and columns by hand: line 1 is ``rules:``; the
base rule below puts ``id`` on line 2 (column 5 after ``  - ``), then one key per line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from oretrace.loaders import validate_dataset

BASE = """\
rules:
  - id: R1
    name: A rule
    authority: X
    instrument: X No. 1
    effective: 2025-01-01
    sources: [hand]
    confidence: documented
    clauses:
      - id: c1
        kind: export
        text: t
        verdict: licence-required
        trigger: {kind: origin_content, origin: CN}
"""


def errors(mini_copy: Callable[..., Path], text: str) -> list[str]:
    path = mini_copy()
    (path / "rules.yaml").write_text(text, encoding="utf-8")
    return [str(p) for p in validate_dataset(path) if p.severity == "error"]


def test_the_base_rule_loads(mini_copy: Callable[..., Path]) -> None:
    assert errors(mini_copy, BASE) == []


@pytest.mark.parametrize(("text", "where", "words"), [
    # a typo'd key: `suspension:` at line 9, column 5
    (BASE.replace("    clauses:\n", "    suspension: []\n    clauses:\n"),
     "rules.yaml:9:5:", "unknown key 'suspension'"),
    # an unknown key inside a clause's trigger: line 14 is 8 spaces, "trigger: {" (cols
    # 9-18), "kind: origin_content, " (19-40), "origin: CN, " (41-52): the key at column 53
    (BASE.replace("origin: CN}", "origin: CN, treshold: 0.1}"),
     "rules.yaml:14:53:", "unknown key 'treshold'; did you mean 'threshold'"),
    # an unknown top-level key (line 15, column 1)
    (BASE + "rulez: []\n", "rules.yaml:15:1:", "unknown top-level key 'rulez'"),
    # a lower-case country code (line 14: "origin: " at 41-48, the value at column 49)
    (BASE.replace("origin: CN", "origin: cn"), "rules.yaml:14:49:",
     "'cn' is not an ISO 3166-1 alpha-2 country code"),
    # a clause of an unknown kind (line 11, value at column 15)
    (BASE.replace("kind: export", "kind: exports"), "rules.yaml:11:15:", "'exports'"),
    # a duplicate key in one mapping: the second `name` on line 4
    (BASE.replace("    authority: X\n", "    name: Again\n"), "rules.yaml:4:5:",
     "key 'name' appears twice"),
    # known_until before effective (line 7)
    (BASE.replace("    sources: [hand]\n", "    known_until: 2024-01-01\n    sources: [hand]\n"),
     "rules.yaml:7:18:", "known_until 2024-01-01 is before effective 2025-01-01"),
    # until (exclusive end) before effective
    (BASE.replace("    sources: [hand]\n", "    until: 2024-06-01\n    sources: [hand]\n"),
     "rules.yaml:7:12:", "until 2024-06-01 is not after effective"),
    # `requires` naming no clause (line 15, the list item at column 20)
    (BASE + "        requires: [c9]\n", "rules.yaml:15:20:", "requires 'c9', which is no clause"),
    # a YAML alias
    (BASE.replace("sources: [hand]", "sources: &s [hand]"), "rules.yaml:7:14:",
     "YAML anchors"),
])
def test_bad_rules_are_located(mini_copy: Callable[..., Path], text: str, where: str,
                               words: str) -> None:
    found = errors(mini_copy, text)
    assert any(e.startswith(where) and words in e for e in found), found


def test_status_events_out_of_order_are_located(mini_copy: Callable[..., Path]) -> None:
    """The second event (line 12: 6 spaces, "- {" at 7-9, "event: resumed, " at 10-25,
    "date: " at 26-31: the date at column 32) is dated before the first."""
    text = BASE.replace("    clauses:\n", """\
    status:
      - {event: suspended, date: 2025-06-01, until: 2025-09-01, sources: [hand],
         confidence: documented}
      - {event: resumed, date: 2025-05-01, sources: [hand], confidence: documented}
    clauses:
""")
    found = errors(mini_copy, text)
    assert any(e.startswith("rules.yaml:12:32:") and "date order" in e for e in found), found


def test_a_waiver_naming_an_unknown_product_is_located(mini_copy: Callable[..., Path]) -> None:
    """`end_item: missle` on line 12, value at column 17."""
    text = BASE.replace("    clauses:\n", """\
    waivers:
      - id: w1
        end_item: missle
        through: 2026-01-01
        sources: [hand]
        confidence: reported
    clauses:
""")
    found = errors(mini_copy, text)
    assert any(e.startswith("rules.yaml:11:19:") and "unknown product 'missle'" in e
               for e in found), found


def test_duplicate_rule_ids_are_located(mini_copy: Callable[..., Path]) -> None:
    """The second R1 starts on line 15: its id value at column 9."""
    text = BASE + BASE.removeprefix("rules:\n")
    found = errors(mini_copy, text)
    assert any(e.startswith("rules.yaml:15:9:") and "duplicate rule id 'R1'" in e
               for e in found), found


def test_an_alias_bomb_is_refused_at_once(mini_copy: Callable[..., Path]) -> None:
    """The billion-laughs shape: nine levels of ten aliases. Refused at the first anchor, in
    well under the time expanding it would take."""
    lines = ["a0: &a0 [lol]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]"
                                 for i in range(1, 10)]
    start = time.perf_counter()
    found = errors(mini_copy, "\n".join(lines) + "\nrules: []\n")
    assert time.perf_counter() - start < 30
    assert found and "anchors" in found[0] and found[0].startswith("rules.yaml:1:5:")
