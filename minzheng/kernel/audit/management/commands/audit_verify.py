from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain; fail if any event was altered, inserted or deleted."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit_verify()
        total = AuditEvent.objects.count()
        if not problems:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} events verified."))
            return
        for problem in problems:
            self.stdout.write(f"event #{problem.seq}: {problem.kind} — {problem.detail}")
        raise CommandError(f"Audit chain broken: {len(problems)} problem(s) in {total} events.")
