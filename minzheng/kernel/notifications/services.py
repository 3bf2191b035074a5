"""Sending messages to people."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from minzheng.kernel.notifications.backends import BaseSmsBackend, SmsMessage


def sms_backend() -> BaseSmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    return backend_class()


def sms_send(*, phone: str, text: str) -> None:
    sms_backend().send(SmsMessage(phone=phone, text=text))
