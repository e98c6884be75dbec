from django.urls import path

from identities import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("faces/<int:pk>/image/", views.face_image, name="face_image"),
    path("sources/<int:pk>/image/", views.source_image_file, name="source_image_file"),
]
