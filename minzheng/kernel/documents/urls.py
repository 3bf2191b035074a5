"""Public document verification pages, and downloads behind login (mounted at /v/)."""

from django.urls import path, re_path

from minzheng.kernel.documents import views

app_name = "documents"
urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("files/attachments/<int:attachment_id>/", views.attachment_file, name="attachment_file"),
    path("files/documents/<int:document_id>/", views.document_file, name="document_file"),
    re_path(r"^(?P<code>[A-Za-z0-9_-]{16,64})/$", views.verify, name="verify"),
]
