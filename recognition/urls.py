from django.urls import path

from recognition import api, model_views, views

urlpatterns = [
    # Models: the registry, training and evaluation pages.
    path("models/", model_views.model_list, name="model_list"),
    path("models/new/", model_views.model_new, name="model_new"),
    path("models/<int:pk>/", model_views.model_detail, name="model_detail"),
    path("models/<int:pk>/status/", model_views.model_status, name="model_status"),
    path("models/<int:pk>/figures/<str:name>", model_views.model_figure, name="model_figure"),
    path("models/<int:pk>/activate/", model_views.model_activate, name="model_activate"),
    path("models/<int:pk>/deactivate/", model_views.model_deactivate, name="model_deactivate"),
    path("models/<int:pk>/resume/", model_views.model_resume, name="model_resume"),
    path("models/<int:pk>/evaluate/", model_views.model_reevaluate, name="model_reevaluate"),
    path("models/<int:pk>/delete/", model_views.model_delete, name="model_delete"),
    # Recognition: upload, verification, API tokens and the JSON API.
    path("recognize/", views.recognize, name="recognize"),
    path("recognize/<uuid:pk>/", views.recognition_result, name="recognition_result"),
    path("recognize/<uuid:pk>/photo/", views.recognition_photo, name="recognition_photo"),
    path("recognize/<uuid:pk>/delete/", views.recognition_delete, name="recognition_delete"),
    path("recognize/<uuid:pk>/faces/<int:number>/chip.png", views.recognition_chip, name="recognition_chip"),
    path("recognize/<uuid:pk>/faces/<int:number>/match", views.recognition_match, name="recognition_match"),
    path(
        "recognize/<uuid:pk>/faces/<int:number>/<slug:figure>.png",
        views.recognition_figure,
        name="recognition_figure",
    ),
    path(
        "recognize/<uuid:pk>/faces/<int:number>/add/", views.recognition_face_add, name="recognition_face_add"
    ),
    path("verify/", views.verify, name="verify"),
    path("identities/<int:pk>/lookalikes/", views.identity_lookalikes, name="identity_lookalikes"),
    path("gallery/lookalikes/", views.gallery_lookalikes, name="gallery_lookalikes"),
    path("identities/<int:pk>/curate/", views.identity_curate, name="identity_curate"),
    path("gallery/same-person/", views.same_person_pairs, name="same_person_pairs"),
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("api/", views.api_docs, name="api_docs"),
    path("api/v1/openapi.json", api.openapi, name="api_openapi"),
    path("api/v1/recognize", api.recognize, name="api_recognize"),
    path("api/v1/verify", api.verify, name="api_verify"),
    path("api/v1/identities", api.identity_list, name="api_identities"),
    path("api/v1/results/<uuid:pk>/faces/<int:number>/<slug:figure>.png", api.figure, name="api_figure"),
    path("api/v1/<path:rest>", api.not_found, name="api_not_found"),
]
