from django.urls import path

from minzheng.web.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_page, name="login"),
    path("login/code/", views.code_send, name="code_send"),
    path("login/verify/", views.code_verify, name="code_verify"),
    path("logout/", views.logout_view, name="logout"),
]
