"""Finding the line of a field in a YAML file, so an editor is sent to the right place."""

from __future__ import annotations

import re


def line_of(text: str, field: str, start_line: int = 1) -> int | None:
    """Line number (1-based) of a dotted field path like `sources.1.url`, or None.

    A best-effort walk over the text: each name finds the next `name:` line, each number the
    matching `- ` item, each step searching from where the previous one was found.
    """
    lines = text.splitlines()
    position = start_line - 1
    found: int | None = None
    inline = False  # the last key had its value on its own line: `key: [a, b]`
    for part in field.split("."):
        if not part:
            continue
        if inline:
            return found
        if part.isdigit():
            wanted, seen = int(part), -1
            indent = None
            for i in range(position, len(lines)):
                match = re.match(r"^(\s*)- ", lines[i])
                if match and (indent is None or len(match.group(1)) == indent):
                    indent = len(match.group(1))
                    seen += 1
                    if seen == wanted:
                        position, found = i, i + 1
                        break
            else:
                return found
        else:
            pattern = re.compile(rf"^\s*(?:- )?{re.escape(part)}\s*:")
            for i in range(position, len(lines)):
                if pattern.match(lines[i]):
                    position, found = i, i + 1
                    inline = bool(lines[i].split(":", 1)[1].strip().strip(">|-"))
                    break
            else:
                return found
    return found
