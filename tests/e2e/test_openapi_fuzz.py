"""Property-based test of every operation in every service's OpenAPI document (schemathesis),
through the embedded gateway, signed in as each role and as nobody.

Any 5xx fails, and so does an answer its document does not describe (status and body:
schemathesis's response_schema_conformance). A bounded number of examples per operation,
role and mode (valid and invalid input), generated deterministically, keeps the run to about
a minute. It has a system of its own: its failed logins lock nobody the other tests use, and
its limiter lets it through."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance)

from demo.data import DEMO_PASSWORD
from gateway.app import create_gateway
from gateway.backends import InProcessBackend
from gateway.embedded import EmbeddedSystem
from tests.support import Gateway
from gateway.ratelimit import RateLimiter
from services.common.config import SERVICES

# Per operation, role and mode; RENCAI_FUZZ_EXAMPLES=50 for a deeper run by hand.
EXAMPLES = int(os.environ.get("RENCAI_FUZZ_EXAMPLES", "2"))
# One account of every kind and role (see README), and nobody.
ROLES = {"anonymous": None, "person": "zhangsan", "unit": "zhizao", "supervisor": "kewei",
         "bureau": "shiju", "district": "chaoyang", "expert": "zhuanjia",
         "committee": "jingsai", "admin": "admin"}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    system = EmbeddedSystem(tmp_path_factory.mktemp("fuzz-var"))
    system.seed_demo()
    system.settle()
    # The same gateway, with a limiter that never stops this one client.
    system.gateway = create_gateway(
        {name: InProcessBackend(name, app) for name, app in system.apps.items()},
        system.verifier, limiter=RateLimiter(1e9, 10**9))
    gateway = Gateway.in_process(system)  # staff sign in with their second factor

    def sign_in() -> dict:
        """Tokens fresh for each service's run (they live 15 minutes; a slow run is long)."""
        return {role: gateway.login(username, DEMO_PASSWORD).token if username else None
                for role, username in ROLES.items()}

    yield system, sign_in
    system.close()


def _problems(operation, token, mode) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=[not_a_server_error,
                                                     content_type_conformance,
                                                     response_schema_conformance],
                                   headers=headers)
        except (AssertionError, BaseExceptionGroup) as failure:  # a check failed
            found.append(f"{response.status_code} {case.as_curl_command(headers)}\n"
                         f"    {str(failure).strip()[:600]}\n    {response.content[:300]!r}")

    try:
        run()
    except Unsatisfiable:  # no value the schema allows can be generated (e.g. a signed link)
        pass
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_answers_5xx_or_off_its_document(fuzzed, service):
    system, sign_in = fuzzed
    tokens = sign_in()
    schema = schemathesis.openapi.from_wsgi(f"/api/{service}/openapi.json", system.gateway)
    failures: dict[str, list[str]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for role, token in tokens.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for problem in _problems(operation, token, mode):
                    failures.setdefault(operation.label, []).append(f"[{role}] {problem}")
            system.settle()
    report = "\n".join(f"{label}: {len(items)}\n  " + "\n  ".join(items[:2])
                       for label, items in sorted(failures.items()))
    assert not failures, f"{len(failures)} operations of {service} failed:\n{report}"
