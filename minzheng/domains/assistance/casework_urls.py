"""URLs of the casework pages, under /assistance/cases/ (namespace "assistance")."""

from django.urls import path

from minzheng.domains.assistance import casework_views

urlpatterns = [
    path("", casework_views.worklist, name="worklist"),
    path("all/", casework_views.application_list, name="cases"),
    path("new/", casework_views.application_new, name="case_new"),
    path("<str:case_number>/", casework_views.application_detail, name="case"),
    path("<str:case_number>/payee/", casework_views.enrolment_payee, name="case_payee"),
    path(
        "<str:case_number>/steps/<slug:step>/",
        casework_views.application_step,
        name="case_step",
    ),
]
