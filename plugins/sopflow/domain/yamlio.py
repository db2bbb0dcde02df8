"""YAML reading for config files, with YAML 1.2 booleans.

PyYAML follows YAML 1.1, where a bare `no`, `yes`, `on` or `off` is a boolean (a step's
`no: 1` would become `False: 1`) and `16:00` is the base-60 integer 960. Here only
`true`/`false` are booleans and only plain decimal numbers are integers. A key given twice
in one mapping is an error (PyYAML would silently keep the last).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sopflow.domain.errors import ConfigError


# LibYAML's parser when PyYAML was built with it (10x faster); the resolver rules below are Python's
# either way, so the result is the same.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigLoader(_Base):
    pass


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))


def _mapping_without_duplicates(loader: ConfigLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


ConfigLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def load_yaml(text: str):
    return yaml.load(text, Loader=ConfigLoader)  # noqa: S506 - a SafeLoader subclass


def read_yaml_file(path: Path | str):
    """Read a config file; unreadable files and YAML errors become a ConfigError with the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(path, f"YAML syntax error: {getattr(exc, 'problem', None) or exc}",
                          where=f"line {mark.line + 1}, column {mark.column + 1}" if mark else None) from None
