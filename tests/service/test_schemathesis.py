"""Schemathesis over /api/v1/openapi.json against the live server, as two roles.

Every operation of the document gets generated requests, valid and invalid, sent
with an owner's token and with a client viewer's; Schemathesis's checks must all
pass: no server error, status codes, content types, headers and bodies as
documented, invalid input refused and valid input accepted. Examples are bounded
so the whole run stays under a minute. The pushed-events receiver is left to its
own tests (it answers signed deliveries, not tokens).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from adreport.service.app import create_app
from adreport.service.runtime import ServiceSettings
from tests.service.live import serve
from tests.service.world import World, live_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> object:
    with live_world(Path(tmp_path_factory.mktemp("schemathesis"))) as made:
        yield made


@pytest.fixture(scope="module")
def api_schema(world: World) -> object:
    loaded = schemathesis.openapi.from_url(f"{world.base}/api/v1/openapi.json")
    loaded.config.update(base_url=f"{world.base}/api/v1")
    return loaded.exclude(path_regex=r"^/events")


# A few per operation keep the run near a minute; set more for a deeper search.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def _run(operation: Any, headers: dict[str, str], excluded: list[Any]) -> None:
    """Generated cases for one operation, each sent and checked."""

    @BOUNDED
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, timeout=30, excluded_checks=excluded)

    check()


def _failures(schema: Any, headers: dict[str, str]) -> list[str]:
    """Run every operation's generated cases; the failures, one line each."""
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # A well-formed sign-in with a wrong password is refused with 400
        # invalid_grant, as OAuth 2.0 (RFC 6749 5.2) prescribes: no schema can say
        # which passwords are right. Malformed forms must still be refused.
        excluded = [positive_data_acceptance] if operation.path == "/auth/token" else []
        try:
            _run(operation, headers, excluded)
        # Schemathesis reports a BaseExceptionGroup; each failing operation is
        # listed, not just the first.
        except (Exception, BaseExceptionGroup) as exc:
            found.append(f"{operation.label}: {str(exc)[:1500]}")
    return found


@pytest.mark.parametrize("role", ["owner", "client_viewer"])
def test_the_api_keeps_its_documented_promises(
    api_schema: Any, world: World, role: str
) -> None:
    failures = _failures(api_schema, world.headers(role))
    assert failures == [], "\n\n".join(failures)


def _metrics_parameters(base: str) -> dict[str, Any]:
    document = httpx.get(f"{base}/api/v1/openapi.json", timeout=30).json()
    found = document["paths"]["/metrics"]["get"]["parameters"]
    return {p["name"]: p["schema"] for p in found}


def test_the_document_names_the_workspace_kpis(tmp_path: Path) -> None:
    (tmp_path / "adreport.toml").write_text(
        '[kpis.cost_per_view]\nformula = "spend / video_views"\nunit = "money"\n',
        encoding="utf-8",
    )
    with serve(create_app(ServiceSettings(data_dir=tmp_path))) as base:
        schemas = _metrics_parameters(base)
    metrics = re.compile(schemas["metrics"]["pattern"])
    assert metrics.match("cost_per_view, roas")
    assert metrics.match("spend,")
    assert not metrics.match("spendx")
    assert not metrics.match("spend roas")
    by = re.compile(schemas["by"]["pattern"])
    assert by.match("")
    assert by.match("date,campaign")
    assert not by.match("spend")
    currency = re.compile(schemas["currency"]["anyOf"][0]["pattern"])
    assert currency.match("EUR")
    assert currency.match("krw")
    assert not currency.match("XYZ")


def test_an_unknown_metric_is_refused_by_the_documented_pattern(world: World) -> None:
    answer = httpx.get(
        f"{world.base}/api/v1/metrics",
        params={"metrics": "spend,spendx"},
        headers=world.headers("owner"),
        timeout=30,
    )
    assert answer.status_code == 422, answer.text
    assert "query.metrics" in answer.text
