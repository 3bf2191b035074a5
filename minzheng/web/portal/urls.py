from django.urls import path

from minzheng.web.portal import apply_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="login"),
    path("login/code/", views.code_send, name="code_send"),
    path("login/verify/", views.code_verify, name="code_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("link/", views.link_account, name="link"),
    path("apply/", apply_views.apply_choose, name="apply"),
    path("apply/<slug:code>/start/", apply_views.apply_start, name="apply_start"),
    path("apply/d/<uuid:token>/situation/", apply_views.apply_situation, name="apply_situation"),
    path("apply/d/<uuid:token>/documents/", apply_views.apply_documents, name="apply_documents"),
    path(
        "apply/d/<uuid:token>/authorisation/",
        apply_views.apply_authorisation,
        name="apply_authorisation",
    ),
    path("apply/d/<uuid:token>/submit/", apply_views.apply_review, name="apply_review"),
    path(
        "applications/<int:application_id>/",
        apply_views.application_detail,
        name="application",
    ),
    path(
        "applications/<int:application_id>/resubmit/",
        apply_views.application_resubmit,
        name="application_resubmit",
    ),
    path(
        "applications/<int:application_id>/withdraw/",
        apply_views.application_withdraw,
        name="application_withdraw",
    ),
]
