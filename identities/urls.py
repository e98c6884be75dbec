from django.urls import path

from identities import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("identities/", views.identity_list, name="identity_list"),
    path("identities/new/", views.identity_create, name="identity_create"),
    path("identities/bulk-add/", views.identity_bulk_add, name="identity_bulk_add"),
    path("identities/<int:pk>/", views.identity_detail, name="identity_detail"),
    path("identities/<int:pk>/edit/", views.identity_edit, name="identity_edit"),
    path("identities/<int:pk>/archive/", views.identity_archive, name="identity_archive"),
    path("identities/<int:pk>/unarchive/", views.identity_unarchive, name="identity_unarchive"),
    path("identities/<int:pk>/delete/", views.identity_delete, name="identity_delete"),
    path("identities/<int:pk>/merge/", views.identity_merge, name="identity_merge"),
    path("audit/", views.audit_log, name="audit_log"),
    path("faces/<int:pk>/image/", views.face_image, name="face_image"),
    path("sources/<int:pk>/image/", views.source_image_file, name="source_image_file"),
]
