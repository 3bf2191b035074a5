from django.contrib.auth.views import LogoutView
from django.urls import path

from minzheng.web.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("search/", views.search, name="search"),
    path("persons/<int:person_id>/", views.person_detail, name="person"),
    path("persons/<int:person_id>/reveal/", views.person_reveal, name="person_reveal"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("regions/", views.region_index, name="regions"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("jobs/", views.job_index, name="jobs"),
    path("jobs/start/", views.job_start_view, name="job_start"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:job_id>/resume/", views.job_resume_view, name="job_resume"),
    path("audit/", views.audit_index, name="audit"),
]
