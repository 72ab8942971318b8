"""A pytest plugin that fails every test which uses an access token made before the test began
(at collection, or in a module- or session-scoped fixture). Such a test passes on a fast
machine and fails once the suite has run longer than a token lives (issue 11 §8):

    PYTHONPATH=$PWD .venv/bin/python -m pytest -p tests.token_age tests/unit tests/service ...
"""
import time

import jwt.api_jwt
import pytest

_started = [0.0]
_stale: list[str] = []
_validate = jwt.api_jwt.PyJWT._validate_claims


def _checked(self, payload, *args, **kwargs):
    issued = payload.get("iat")
    if isinstance(issued, (int, float)) and _started[0] and issued < int(_started[0]):
        _stale.append(f"a token issued {time.time() - issued:.0f} s ago, before the test began "
                      f"(sub={payload.get('sub')})")
    return _validate(self, payload, *args, **kwargs)


jwt.api_jwt.PyJWT._validate_claims = _checked


def pytest_collection_finish(session):
    time.sleep(1.1)  # "iat" counts whole seconds: let a token made at collection be a second old


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _started[0] = time.time()
    _stale.clear()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    if _stale:
        found = list(_stale)
        _stale.clear()
        pytest.fail(f"{item.nodeid} used {found[0]}", pytrace=False)
