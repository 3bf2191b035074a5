"""URLs of the discovery and visit pages, under /assistance/discovery/ (namespace "assistance")."""

from django.urls import path

from minzheng.domains.assistance import discovery_views

urlpatterns = [
    path("", discovery_views.discovery_list, name="discovery"),
    path("tasks/<int:task_id>/", discovery_views.discovery_task, name="discovery_task"),
    path("visits/", discovery_views.visit_list, name="visits"),
    path("visits/overdue/", discovery_views.visit_overdue, name="visits_overdue"),
    path("visits/<int:visit_id>/", discovery_views.visit_detail, name="visit"),
]
