"""Casework tables: programmes, applications, enrolments (filled in by the casework work)."""

__all__: list[str] = []
