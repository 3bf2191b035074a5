"""Property-based tests of the whole API from its OpenAPI document (schemathesis).

The schema is loaded from the Django WSGI application in-process and every operation is
called as the city administrator with a bearer token, with a bounded number of examples.
Each operation is one test, in its own database transaction.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from config.wsgi import application
from minzheng.kernel.accounts.models import ApiToken
from minzheng.kernel.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_token(world) -> tuple[ApiToken, str]:
    return api_token_create(actor=world.city_admin, name="schemathesis")


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes database connections when a request ends; inside the test's
    transaction that would drop it (PostgreSQL). Django's own test client does the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Operations whose input rules JSON Schema cannot state (unique member ids, a birth date before
# the assessment date, the rows of an uploaded file, a date within the register's range): a
# schema-valid request may be rightly refused with 422. They are still checked for server
# errors and response conformance.
CROSS_FIELD_VALIDATION = {
    ("POST", "/api/v1/assistance/assess"),
    ("POST", "/api/v1/verification/batches"),
    ("POST", "/api/v1/verification/reports"),
}

# Serving the OpenAPI document touches no table, so it loads at collection time.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api(case, admin_token):
    token, secret = admin_token
    # DELETE /tokens/{id} may draw this very token; keep it usable for the next examples.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
    excluded = (
        [positive_data_acceptance]
        if (case.method.upper(), case.operation.path) in CROSS_FIELD_VALIDATION
        else []
    )
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, excluded_checks=excluded)
