"""A small filter language compiled to a DynamoDB FilterExpression with placeholders, so
attribute names that are reserved words (``status``, ``name``, ``year``) just work.

    status = "open" and (priority >= 3 or not attribute_exists(closedAt))
    begins_with(SK, "ENTRY#2024-06") and tags in ("a", "b")
    start between "2024-06-03" and "2024-06-09"

A quoted value is a string, an unquoted number is a number (exactly: up to 38 digits), and
``true``/``false``/``null`` are booleans and null; any other bare word is a string.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from dynaform.core.item_keys import AttributeValue, Expression, unquote
from dynaform.errors import UsageError

_TOKEN = re.compile(
    r"\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|<=|>=|<>|!=|=|<|>|\(|\)|,|[^\s=<>!(),]+)"
)
_COMPARE = {"=", "<>", "!=", "<", "<=", ">", ">="}
_FUNCTIONS = {
    "attribute_exists": 0,
    "attribute_not_exists": 0,
    "begins_with": 1,
    "contains": 1,
    "attribute_type": 1,
}
_AVTYPES = {"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"}


def tokens(text: str) -> list[str]:
    found: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise UsageError(f"cannot read the filter at {text[position:]!r}")
        found.append(match.group(1))
        position = match.end()
    return found


def literal(token: str) -> AttributeValue:
    """A filter value: quoted -> string, number -> number, true/false/null, else string."""
    if token[:1] in "\"'":
        return {"S": unquote(token)}
    lowered = token.lower()
    if lowered in ("true", "false"):
        return {"BOOL": lowered == "true"}
    if lowered == "null":
        return {"NULL": True}
    if re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", token):
        try:
            Decimal(token)
            return {"N": token}
        except InvalidOperation:
            pass
    return {"S": token}


class _Parser:
    def __init__(self, text: str, expr: Expression) -> None:
        self.items = tokens(text)
        self.at = 0
        self.expr = expr
        self.text = text

    def peek(self) -> str:
        return self.items[self.at] if self.at < len(self.items) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token.lower() != expected):
            wanted = f"{expected!r}" if expected else "more"
            got = f"{token!r}" if token else "the end"
            raise UsageError(f"filter {self.text!r}: expected {wanted}, found {got}")
        self.at += 1
        return token

    def expression(self) -> str:
        parts = [self.term()]
        while self.peek().lower() in ("and", "or"):
            joiner = self.take().upper()
            parts += [joiner, self.term()]
        return " ".join(parts)

    def term(self) -> str:
        token = self.peek()
        if token.lower() == "not":
            self.take()
            return f"NOT {self.term()}"
        if token == "(":
            self.take()
            inner = self.expression()
            self.take(")")
            return f"({inner})"
        if token.lower() in _FUNCTIONS:
            return self.function(self.take().lower())
        return self.comparison(self.take())

    def function(self, name: str) -> str:
        self.take("(")
        path = self.expr.name(self.take())
        args = [path]
        for _ in range(_FUNCTIONS[name]):
            self.take(",")
            raw = self.take()
            value = literal(raw)
            if name == "attribute_type":
                if unquote(raw) not in _AVTYPES:
                    raise UsageError(f"attribute_type takes one of {', '.join(sorted(_AVTYPES))}")
                value = {"S": unquote(raw)}
            args.append(self.expr.value(value))
        self.take(")")
        return f"{name}({', '.join(args)})"

    def comparison(self, path_token: str) -> str:
        path = self.expr.name(path_token)
        operator = self.take().lower()
        if operator in _COMPARE:
            operator = "<>" if operator == "!=" else operator
            return f"{path} {operator} {self.expr.value(literal(self.take()))}"
        if operator == "between":
            low = self.expr.value(literal(self.take()))
            self.take("and")
            return f"{path} BETWEEN {low} AND {self.expr.value(literal(self.take()))}"
        if operator == "in":
            self.take("(")
            values = [self.expr.value(literal(self.take()))]
            while self.peek() == ",":
                self.take()
                values.append(self.expr.value(literal(self.take())))
            self.take(")")
            return f"{path} IN ({', '.join(values)})"
        raise UsageError(
            f"filter {self.text!r}: {operator!r} is not an operator",
            hint="use = <> < <= > >= between in, or a function like begins_with(path, value)",
        )


def parse_filter(text: str, expr: Expression) -> str:
    """The filter as FilterExpression text; its names and values are added to ``expr``."""
    parser = _Parser(text, expr)
    if not parser.items:
        raise UsageError("the filter is empty")
    compiled = parser.expression()
    if parser.peek():
        raise UsageError(f"filter {text!r}: unexpected {parser.peek()!r}")
    return compiled
