"""App Connect's reference-engine vectors (../shared) run through the importer and our engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callbridge.connectors.proxy.appconnect import convert_template
from callbridge.connectors.proxy.connector import join_url
from callbridge.connectors.proxy.mapping import compile_path, dot_path_to_jmespath
from callbridge.connectors.proxy.templates import (
    ABSENT,
    Template,
    TemplateProblem,
    compile_value,
    render_value,
)


@pytest.fixture
def vectors(shared_fixtures: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared_fixtures / "appconnect_proxy_engine_vectors.json").read_text(encoding="utf-8"))
    return data


def _render(template: Any, context: dict[str, Any]) -> Any:
    """Import a template (variables mapped to themselves) and render it in our engine."""
    names = {"a.b": "a.b", "name": "name", "x.y": "x.y", "id": "id", "items.1": "items[1]"}
    converted = convert_template(template, names) if isinstance(template, str) else template
    problems: list[Any] = []
    compiled = compile_value(converted, "t", {"a": None, "name": None, "x": None, "id": None,
                                              "items": None}, problems)
    assert not problems
    return render_value(compiled, context)


def test_render_template_string(vectors: dict[str, Any]) -> None:
    for case in vectors["renderTemplateString"]:
        context = {**case["context"], "x": {}}
        expected = case["expected"]
        if isinstance(case["template"], str) and "Missing" in case["template"]:
            # documented difference: text with a missing value is an error (StrictUndefined)
            with pytest.raises(TemplateProblem):
                _render(case["template"], context)
            continue
        got = _render(case["template"], context)
        if expected == {"undefined": True}:
            assert got is ABSENT
        else:
            assert got == expected, case


def test_render_deep(vectors: dict[str, Any]) -> None:
    for case in vectors["renderDeep"]:
        assert _render(case["input"], case["context"]) == case["expected"]


def test_join_url(vectors: dict[str, Any]) -> None:
    for case in vectors["joinUrl"]:
        assert join_url(case["baseUrl"], case["path"]) == case["expected"], case


def test_get_by_path(vectors: dict[str, Any]) -> None:
    for case in vectors["getByPath"]:
        path = compile_path(dot_path_to_jmespath(case["path"]), "k")
        assert not isinstance(path, Exception) and hasattr(path, "search")
        got = path.search(case["object"])  # type: ignore[union-attr]
        expected = case["expected"]
        if expected == "<the object itself>":
            assert got == case["object"]
        elif expected == {"undefined": True}:
            assert got is None
        else:
            assert got == expected


def test_response_mappings(vectors: dict[str, Any]) -> None:
    for case in vectors["mapFindContactResponse"]:
        mapping = case["responseMapping"]
        if not mapping or "expected_subset" not in case:
            continue
        items = compile_path(dot_path_to_jmespath(mapping["listPath"], strip="body"), "k")
        item = mapping["item"]
        rows = items.search(case["response_data"])  # type: ignore[union-attr]
        for row, want in zip(rows, case["expected_subset"], strict=True):
            assert str(row[item["idPath"]]) == want["id"]
            assert row[item["namePath"]] == want["name"]
    for case in vectors["mapCreateCallLogResponse"]:
        if case["responseMapping"]:
            path = compile_path(dot_path_to_jmespath(case["responseMapping"]["idPath"],
                                                     strip="body"), "k")
            assert str(path.search(case["response_data"])) == case["expected"]["logId"]  # type: ignore[union-attr]


def test_whole_expression_keeps_the_type() -> None:
    compiled = compile_value("{{ n }}", "k", {"n": None}, [])
    assert isinstance(compiled, Template) and compiled.render({"n": 7}) == 7
