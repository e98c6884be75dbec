from django.urls import path

from identities import review_views, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("identities/", views.identity_list, name="identity_list"),
    path("identities/new/", views.identity_create, name="identity_create"),
    path("identities/bulk-add/", views.identity_bulk_add, name="identity_bulk_add"),
    path("identities/bulk/", views.identity_bulk, name="identity_bulk"),
    path("identities/search/", views.identity_search, name="identity_search"),
    path("identities/merge/<int:first>/<int:second>/", views.identity_merge_pair, name="identity_merge_pair"),
    path("identities/<int:pk>/faces/", views.identity_faces_curate, name="identity_faces_curate"),
    path("identities/<int:pk>/", views.identity_detail, name="identity_detail"),
    path("identities/<int:pk>/edit/", views.identity_edit, name="identity_edit"),
    path("identities/<int:pk>/archive/", views.identity_archive, name="identity_archive"),
    path("identities/<int:pk>/unarchive/", views.identity_unarchive, name="identity_unarchive"),
    path("identities/<int:pk>/delete/", views.identity_delete, name="identity_delete"),
    path("identities/<int:pk>/merge/", views.identity_merge, name="identity_merge"),
    path("identities/<int:pk>/review/", review_views.identity_review, name="identity_review"),
    path(
        "identities/<int:pk>/review/batch/", review_views.identity_review_batch, name="identity_review_batch"
    ),
    path("review/", review_views.review_queue, name="review_queue"),
    path("review/batch/", review_views.review_batch, name="review_batch"),
    path("review/identities/", review_views.review_identity_search, name="review_identity_search"),
    path("review/decisions/", review_views.review_decisions, name="review_decisions"),
    path("review/overrides/", review_views.review_overrides, name="review_overrides"),
    path("review/conflicts/", review_views.review_conflicts, name="review_conflicts"),
    path("review/stats/", review_views.reviewer_stats, name="reviewer_stats"),
    path("review/reviewers/<int:pk>/", review_views.reviewer_history, name="reviewer_history"),
    path("faces/<int:pk>/", review_views.face_history, name="face_history"),
    path("faces/<int:pk>/override/", review_views.face_override, name="face_override"),
    path("audit/", views.audit_log, name="audit_log"),
    path("faces/<int:pk>/image/", views.face_image, name="face_image"),
    path("sources/<int:pk>/image/", views.source_image_file, name="source_image_file"),
]
