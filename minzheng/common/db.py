"""Small database helpers that differ between PostgreSQL and the embedded SQLite."""

from __future__ import annotations

from django.db import connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
