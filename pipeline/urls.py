from django.urls import path

from pipeline import dataset_views, views

urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/status/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/stop/", views.job_stop, name="job_stop"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
    path("jobs/scrape/", views.scrape_start, name="scrape_start"),
    path("jobs/import/", views.import_upload, name="import_upload"),
    path("jobs/recrop/", views.recrop_start, name="recrop_start"),
    path("datasets/", dataset_views.dataset_list, name="dataset_list"),
    path("datasets/new/", dataset_views.dataset_new, name="dataset_new"),
    path("datasets/<int:pk>/", dataset_views.dataset_detail, name="dataset_detail"),
    path("datasets/<int:pk>/delete/", dataset_views.dataset_delete, name="dataset_delete"),
    path("datasets/<int:pk>/rebuild/", dataset_views.dataset_rebuild, name="dataset_rebuild"),
    path("datasets/<int:pk>/download/", dataset_views.dataset_download, name="dataset_download"),
    path(
        "datasets/<int:pk>/items/<int:item_pk>/image/",
        dataset_views.dataset_item_image,
        name="dataset_item_image",
    ),
    path("datasets/<int:pk>/augment-preview/", dataset_views.augment_preview, name="augment_preview"),
    path("datasets/<int:pk>/augment/", dataset_views.augment_start, name="augment_start"),
]
