"""A small SOQL: SELECT fields|COUNT() FROM object [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n]."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from callbridge.sandbox.crm.salesforce.errors import FieldProblem
from callbridge.sandbox.crm.salesforce.schema import SObject

_TOKEN = re.compile(r"""\s*(?:('(?:\\.|[^'\\])*')|(<=|>=|!=|<>|=|<|>|\(|\)|,)|([^\s=<>!(),']+))""")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FieldProblem("MALFORMED_QUERY", f"unexpected text near {text[pos:pos + 20]!r}")
        out.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
    return out


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: Any = None
    order: tuple[str, bool] | None = None
    limit: int | None = None
    offset: int = 0
    count: bool = False
    params: dict[str, Any] = field(default_factory=dict)


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> str:
        return self.toks[self.i] if self.i < len(self.toks) else ""

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if not tok or (expected and tok.upper() != expected):
            raise FieldProblem("MALFORMED_QUERY", f"expected {expected or 'more'} near {tok!r}")
        self.i += 1
        return tok

    def value(self) -> Any:
        tok = self.take()
        if tok.startswith("'"):
            return re.sub(r"\\(.)", r"\1", tok[1:-1])
        if tok.lower() in ("true", "false"):
            return tok.lower() == "true"
        if tok.lower() == "null":
            return None
        if re.fullmatch(r"-?\d+(\.\d+)?", tok):
            return float(tok) if "." in tok else int(tok)
        return tok  # date literal such as 2026-01-05 or TODAY

    def atom(self) -> Any:
        if self.peek() == "(":
            self.take()
            inner = self.disjunction()
            self.take(")")
            return inner
        if self.peek().upper() == "NOT":
            self.take()
            return ("NOT", self.atom())
        name = self.take()
        op = self.take().upper()
        if op == "NOT":
            self.take("IN")
            op = "NOT IN"
        if op in ("IN", "NOT IN"):
            self.take("(")
            values = [self.value()]
            while self.peek() == ",":
                self.take()
                values.append(self.value())
            self.take(")")
            return ("CMP", name, op, values)
        if op not in ("=", "!=", "<>", "<", ">", "<=", ">=", "LIKE"):
            raise FieldProblem("MALFORMED_QUERY", f"unknown operator {op!r}")
        return ("CMP", name, op, self.value())

    def conjunction(self) -> Any:
        node = self.atom()
        while self.peek().upper() == "AND":
            self.take()
            node = ("AND", node, self.atom())
        return node

    def disjunction(self) -> Any:
        node = self.conjunction()
        while self.peek().upper() == "OR":
            self.take()
            node = ("OR", node, self.conjunction())
        return node


def parse(text: str) -> Query:
    """Parse a SOQL statement; raise ``MALFORMED_QUERY`` on anything outside the subset."""
    p = _Parser(_tokens(text))
    p.take("SELECT")
    fields: list[str] = []
    count = False
    if p.peek().upper() == "COUNT":
        p.take()
        p.take("(")
        p.take(")")
        count = True
    else:
        fields.append(p.take())
        while p.peek() == ",":
            p.take()
            fields.append(p.take())
    p.take("FROM")
    query = Query(fields, p.take(), count=count)
    if p.peek().upper() == "WHERE":
        p.take()
        query.where = p.disjunction()
    if p.peek().upper() == "ORDER":
        p.take()
        p.take("BY")
        name = p.take()
        desc = False
        if p.peek().upper() in ("ASC", "DESC"):
            desc = p.take().upper() == "DESC"
        query.order = (name, desc)
    if p.peek().upper() == "LIMIT":
        p.take()
        query.limit = int(p.take())
    if p.peek().upper() == "OFFSET":
        p.take()
        query.offset = int(p.take())
    if p.peek():
        raise FieldProblem("MALFORMED_QUERY", f"unexpected token {p.peek()!r}")
    return query


def _like(stored: str, pattern: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, stored, flags=re.IGNORECASE | re.DOTALL) is not None


def check_fields(obj: SObject, node: Any) -> None:
    """Unknown or unfilterable fields in WHERE are refused as Salesforce refuses them."""
    if node is None:
        return
    if node[0] in ("AND", "OR"):
        check_fields(obj, node[1])
        check_fields(obj, node[2])
    elif node[0] == "NOT":
        check_fields(obj, node[1])
    else:
        spec = obj.lookup(node[1])
        if spec is None:
            raise FieldProblem("INVALID_FIELD", f"No such column '{node[1]}' on entity "
                               f"'{obj.name}'.")
        if not spec.filterable:
            raise FieldProblem("INVALID_FIELD", f"field '{spec.name}' can not be filtered in "
                               "query call")


def evaluate(obj: SObject, node: Any, values: dict[str, Any]) -> bool:
    if node is None:
        return True
    kind = node[0]
    if kind == "AND":
        return evaluate(obj, node[1], values) and evaluate(obj, node[2], values)
    if kind == "OR":
        return evaluate(obj, node[1], values) or evaluate(obj, node[2], values)
    if kind == "NOT":
        return not evaluate(obj, node[1], values)
    _, name, op, wanted = node
    spec = obj.lookup(name)
    stored = values.get(spec.name) if spec else None
    if op in ("IN", "NOT IN"):
        hit = any(_eq(stored, w) for w in wanted)
        return hit if op == "IN" else not hit
    if op == "=":
        return _eq(stored, wanted)
    if op in ("!=", "<>"):
        return not _eq(stored, wanted)
    if op == "LIKE":
        return stored is not None and _like(str(stored), str(wanted))
    if stored is None or wanted is None:
        return False
    left: Any = stored
    right: Any = wanted
    if not (isinstance(stored, int | float) and isinstance(wanted, int | float)):
        left, right = str(stored), str(wanted)
    return bool({"<": left < right, ">": left > right, "<=": left <= right,
                 ">=": left >= right}[op])


def _eq(stored: Any, wanted: Any) -> bool:
    if isinstance(stored, str) and isinstance(wanted, str):
        return stored.lower() == wanted.lower()  # SOQL string comparison ignores case
    return bool(stored == wanted)
