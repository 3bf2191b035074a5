"""SMS backends behind one interface; settings.SMS_BACKEND picks one.

A production backend for the government SMS gateway implements `send` the same way.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: print the message to standard output."""

    def send(self, message: SmsMessage) -> None:
        sys.stdout.write(f"[SMS to {message.phone}] {message.text}\n")
        sys.stdout.flush()


class MemorySmsBackend(BaseSmsBackend):
    """Tests: keep messages in `outbox`."""

    outbox: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> None:
        MemorySmsBackend.outbox.append(message)
