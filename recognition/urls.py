from django.urls import path

urlpatterns = [
    # Models: the registry, training and evaluation pages.
    # Recognition: upload, verification, API tokens and the JSON API.
]
