"""Reading params.yaml as a plain mapping, and writing chosen values back into it.

Writing goes through ruamel.yaml's round-trip mode: comments, key order, flow
mappings (``{hidden_channels: 64, ...}``) and blank lines stay as they were; only
the values set change. A key the file does not have yet (``gat.lr``) is added
at the top of its section, where it cannot swallow a comment that follows.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kdgat.config import read_yaml
from kdgat.errors import HPOError
from kdgat.io import atomic_path


def read_raw(path: Path) -> dict[str, Any]:
    """params.yaml as a plain dict (validated separately by kdgat.config)."""
    raw = read_yaml(path, HPOError)
    if not isinstance(raw, dict):
        raise HPOError(f"{path}: expected a mapping of settings at the top level")
    return raw


def _round_trip(text: str) -> tuple[Any, Any]:
    """A round-trip YAML (keeps comments and layout) set to the file's indentation; the document."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, dash_offset = load_yaml_guess_indent(text)
    rt = YAML()
    rt.preserve_quotes = True
    rt.indent(mapping=2, sequence=indent, offset=dash_offset)
    rt.width = 4096  # never re-wrap a long line
    return rt, rt.load(text)


def write_values(path: Path, values: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in the file in place (atomically); return the previous values."""
    rt, document = _round_trip(path.read_text())
    previous: dict[str, Any] = {}
    for key, value in values.items():
        *sections, leaf = key.split(".")
        node = document
        for section in sections:
            if section not in node or not hasattr(node[section], "insert"):
                raise HPOError(f"{path}: no section {'.'.join(sections)!r} to hold {key!r}")
            node = node[section]
        previous[key] = node.get(leaf)
        if leaf in node:
            node[leaf] = value
        else:
            node.insert(0, leaf, value)
    text = io.StringIO()
    rt.dump(document, text)
    with atomic_path(path) as tmp:
        tmp.write_text(text.getvalue())
    return previous
