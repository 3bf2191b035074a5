from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "minzheng.web.portal"
    label = "portal"
