"""URLs of the review pages, under /assistance/reviews/ (namespace "assistance")."""

from django.urls import path

from minzheng.domains.assistance import review_views

urlpatterns = [
    path("", review_views.review_worklist, name="reviews"),
    path("<int:review_id>/", review_views.review_detail, name="review"),
    path("<int:review_id>/assess/", review_views.review_assess, name="review_assess"),
    path("<int:review_id>/propose/", review_views.review_propose, name="review_propose"),
    path("<int:review_id>/decide/", review_views.review_decide, name="review_decide"),
]
