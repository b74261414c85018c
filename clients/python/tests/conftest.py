"""The server the tests talk to: a `phonecheck serve --demo` named by PHONECHECK_TARGET (and
PHONECHECK_API_KEY when it was started with --api-keys-file). clients/test.sh starts one."""

import importlib.util
import os
import pathlib
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def target():
    target = os.environ.get("PHONECHECK_TARGET")
    if not target:
        pytest.skip("PHONECHECK_TARGET is not set: start `phonecheck serve --demo` and set it to its HOST:PORT")
    return target


@pytest.fixture(scope="session")
def api_key():
    return os.environ.get("PHONECHECK_API_KEY")


@pytest.fixture(scope="session")
def sync_example():
    return _load("sync_example")


@pytest.fixture(scope="session")
def async_example():
    return _load("async_example")
