from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "minzheng.web.api"
    label = "api"
