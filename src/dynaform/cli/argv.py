"""Global options may come before or after the command name.

``dynaform --json local status`` and ``dynaform local status --json`` mean the same. Click only
parses a group's options before the subcommand, so ``hoist_global_options`` moves global options
found after it to the front. An option the subcommand declares itself (``local logs -f`` follows
the log) stays where it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The objects are click commands (typer bundles its own click); only their documented
# attributes are read: Group.commands, Command.params, Option.opts/secondary_opts/is_flag/count.
Command = Any


def _options(command: Command) -> list[Any]:
    return [p for p in command.params if getattr(p, "param_type_name", "") == "option"]


def _subcommand_options(root: Command, argv: Sequence[str]) -> set[str]:
    """Option names declared by the (sub)commands named in argv."""
    names: set[str] = set()
    command = root
    for token in argv:
        if token == "--":
            break
        commands = getattr(command, "commands", None)
        if token.startswith("-") or not isinstance(commands, dict):
            continue
        sub = commands.get(token)
        if sub is None:
            continue
        command = sub
        for param in _options(command):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def hoist_global_options(root: Command, argv: Sequence[str]) -> list[str]:
    """Return argv with the root's options moved before the first subcommand."""
    takes_value: dict[str, bool] = {}
    for param in _options(root):
        for opt in (*param.opts, *param.secondary_opts):
            takes_value[opt] = not (param.is_flag or param.count)
    local_names = _subcommand_options(root, argv)
    hoisted: list[str] = []
    rest: list[str] = []
    seen_command = False
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":
            rest.extend(argv[index:])
            break
        name = token.split("=", 1)[0]
        is_global = name in takes_value and (not seen_command or name not in local_names)
        if is_global:
            hoisted.append(token)
            if takes_value[name] and "=" not in token and index + 1 < len(argv):
                hoisted.append(argv[index + 1])
                index += 1
        else:
            seen_command = seen_command or not token.startswith("-")
            rest.append(token)
        index += 1
    return hoisted + rest
