"""URLs of the assistance reports, under /assistance/reports/ (namespace "assistance")."""

from django.urls import path

from minzheng.domains.assistance import report_views

urlpatterns = [
    path("", report_views.monthly, name="report_monthly"),
    path("monthly.xlsx", report_views.monthly_xlsx, name="report_monthly_xlsx"),
    path("overdue/", report_views.overdue, name="report_overdue"),
    path("overdue.xlsx", report_views.overdue_xlsx, name="report_overdue_xlsx"),
]
