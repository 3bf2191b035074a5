from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "minzheng.web.backoffice"
    label = "backoffice"
