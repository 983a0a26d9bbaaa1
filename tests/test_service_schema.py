"""Schemathesis over /openapi.json of a real server: no 5xx, every response matches its
documented status codes, content type and schema — with an admin key (every operation is
reached past auth) and without one (every operation answers 401 as documented)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from _service_helpers import bearer, new_key, running, settings_for
from icpkit.workspace import run_workspace
from test_workspace import make_workspace


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A workspace after one run (so /v1/accounts has accounts), served with an admin key."""
    ws = make_workspace(tmp_path_factory.mktemp("schema") / "ws")
    run_workspace(ws)
    conf = settings_for(ws)
    key = new_key(conf, "admin")
    with running(conf) as (url, _):
        yield url, key


_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _checker(operation: Any, headers: dict[str, str], skip: list[Any]) -> Any:
    @given(case=operation.as_strategy())
    @_SETTINGS
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=skip)

    return check


def _run_all(url: str, headers: dict[str, str]) -> list[str]:
    """Every operation of the schema through Hypothesis; returns the operations checked.

    (schemathesis' pytest plugin does not load with this pytest, so the operations are
    walked here: the same strategies and the same checks as `case.call_and_validate`.)
    """
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        # A profile's cross-field rules (unique attribute names, ordered tier cut-offs, at
        # least one attribute) are not expressible in JSON Schema: an upload that passes the
        # schema may still get 422. Every other check still applies to it.
        skip = [positive_data_acceptance] if operation.label == "POST /v1/profiles" else []

        _checker(operation, headers, skip)()
        checked.append(operation.label)
    return checked


def test_api_conforms_with_an_admin_key(served: tuple[str, str]) -> None:
    checked = _run_all(served[0], bearer(served[1]))
    assert "POST /v1/score" in checked
    assert "GET /v1/profiles/{a}/diff/{b}" in checked


def test_api_conforms_without_a_key(served: tuple[str, str]) -> None:
    assert len(_run_all(served[0], {})) >= 8


def test_every_operation_documents_its_errors(served: tuple[str, str]) -> None:
    import httpx

    spec = httpx.get(f"{served[0]}/openapi.json").json()
    for path, ops in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, op in ops.items():
            assert {"401", "403", "429"} <= set(op["responses"]), (method, path)
