from django.urls import include, path

from minzheng.domains.assistance import views

app_name = "assistance"
urlpatterns = [
    path("cases/", include("minzheng.domains.assistance.casework_urls")),
    path("reviews/", include("minzheng.domains.assistance.review_urls")),
    path("discovery/", include("minzheng.domains.assistance.discovery_urls")),
    path("reports/", include("minzheng.domains.assistance.report_urls")),
    path("parameters/", views.parameter_index, name="parameters"),
    path("parameters/changes/<int:change_id>/", views.change_detail, name="change"),
    path(
        "parameters/changes/<int:change_id>/confirm/", views.change_confirm, name="change_confirm"
    ),
    path(
        "parameters/changes/<int:change_id>/households/",
        views.change_households,
        name="change_households",
    ),
    path(
        "parameters/changes/<int:change_id>/households.xlsx",
        views.change_households_xlsx,
        name="change_households_xlsx",
    ),
    path(
        "parameters/changes/<int:change_id>/withdraw/",
        views.change_withdraw,
        name="change_withdraw",
    ),
    path("parameters/<str:parameter>/", views.parameter_detail, name="parameter"),
]
