import pytest

from tests.tmpl import ENVS


@pytest.fixture(params=ENVS)
def env(request) -> str:
    """Run the test once per environment."""
    return request.param
