"""URLs of the payments pages, under /payments/ (namespace "payments")."""

from django.urls import path

from minzheng.kernel.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.batch_list, name="batches"),
    path("generate/", views.batch_generate, name="generate"),
    path("<int:batch_id>/", views.batch_detail, name="batch"),
    path("<int:batch_id>/steps/<slug:step>/", views.batch_step, name="batch_step"),
    path(
        "households/<int:household_id>/accounts/",
        views.household_accounts,
        name="household_accounts",
    ),
    path("people/<int:person_id>/accounts/", views.payee_accounts, name="accounts"),
    path(
        "people/<int:person_id>/accounts/new/",
        views.payee_account_create,
        name="account_create",
    ),
    path(
        "people/<int:person_id>/accounts/<int:account_id>/close/",
        views.payee_account_close,
        name="account_close",
    ),
    path(
        "people/<int:person_id>/accounts/<int:account_id>/reveal/",
        views.payee_account_reveal,
        name="account_reveal",
    ),
]
