from django.contrib.auth.views import LogoutView
from django.urls import path

from minzheng.web.backoffice import register_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("search/", views.search, name="search"),
    path("persons/new/", register_views.person_new, name="person_new"),
    path("persons/new/check-id/", register_views.person_check_id, name="person_check_id"),
    path("persons/pick/", register_views.person_pick, name="person_pick"),
    path("persons/<int:person_id>/", views.person_detail, name="person"),
    path("persons/<int:person_id>/edit/", register_views.person_edit, name="person_edit"),
    path("persons/<int:person_id>/move/", register_views.person_move, name="person_move"),
    path("persons/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("households/new/", register_views.household_new, name="household_new"),
    path("households/pick/", register_views.household_pick, name="household_pick"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path(
        "households/<int:household_id>/members/add/",
        register_views.member_add,
        name="member_add",
    ),
    path(
        "households/<int:household_id>/members/<int:person_id>/end/",
        register_views.member_end,
        name="member_end",
    ),
    path("regions/", views.region_index, name="regions"),
    path("regions/choices/", register_views.region_choices, name="region_choices"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("jobs/", views.job_index, name="jobs"),
    path("jobs/start/", views.job_start_view, name="job_start"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:job_id>/resume/", views.job_resume_view, name="job_resume"),
    path("audit/", views.audit_index, name="audit"),
]
