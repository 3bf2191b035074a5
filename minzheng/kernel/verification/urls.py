from django.urls import path

from minzheng.kernel.verification import views

app_name = "verification"
urlpatterns = [
    path("", views.index, name="index"),
    path("sources/<str:code>/template.csv", views.template_csv_view, name="template_csv"),
    path("sources/<str:code>/template.xlsx", views.template_xlsx_view, name="template_xlsx"),
    path("upload/", views.upload, name="upload"),
    path("batches/", views.batch_index, name="batches"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("batches/<int:batch_id>/accept/", views.batch_accept, name="batch_accept"),
    path("batches/<int:batch_id>/discard/", views.batch_discard, name="batch_discard"),
    path("households/", views.household_lookup, name="household_lookup"),
    path("households/<int:household_id>/", views.household_check, name="household"),
    path("reports/", views.report_index, name="reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
]
