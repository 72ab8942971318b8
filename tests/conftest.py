import base64
import os

import pytest

from gateway.embedded import EmbeddedSystem
from tests.support import Gateway


def pytest_configure(config):
    # One personal-data key for the whole run: the key is process-wide, and apps built by
    # different tests must not each switch it under the others' feet.
    os.environ.setdefault("RENCAI_PII_KEY", base64.b64encode(b"rencai-tests-pii-key-32-bytes-!!").decode())
    # Likewise the key-encryption key of identity's signing keys (embedded tests only: the
    # stack refuses these readable-text keys and gets generated ones, tests/stack/conftest.py).
    os.environ.setdefault("RENCAI_SIGNING_KEK", base64.b64encode(b"rencai-tests-signing-kek-32bytes").decode())
    # Every test client is 127.0.0.1; the gateway's per-client limit is tested on its own.
    os.environ.setdefault("RENCAI_RATE_LIMIT", "10000")
    # The tests ask for development explicitly (the development SMS sender, GET /dev/sms); the
    # stack tier overrides it for its processes, which run as a deployment would.
    os.environ.setdefault("RENCAI_ENV", "development")


@pytest.fixture(scope="session")
def embedded(tmp_path_factory):
    """The whole system in this process, seeded with the demo data (shared by the tests;
    each test makes its own applications)."""
    system = EmbeddedSystem(tmp_path_factory.mktemp("var"))
    system.seed_demo()
    system.settle()
    yield system
    system.close()


@pytest.fixture
def gateway(embedded) -> Gateway:
    return Gateway.in_process(embedded)
