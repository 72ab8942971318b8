import pytest

from gateway.embedded import EmbeddedSystem
from tests.support import Gateway


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
