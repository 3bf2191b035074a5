"""Property-based tests of the assess endpoints: never a server error, answers as documented.

Every check of the project-wide schemathesis run except "schema-valid data is accepted": the
rules also refuse, with a 422 naming the field, what JSON Schema cannot state (duplicate member
ids, a birth date after the day assessed).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from minzheng.kernel.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex="^/api/v1/assistance/"
)


@schema.parametrize()
@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_assess_api(case, world):
    _, secret = api_token_create(actor=world.city_admin, name="fuzz")
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secret}"}, excluded_checks=[positive_data_acceptance]
    )
