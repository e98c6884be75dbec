from django.urls import path

from pipeline import views

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
]
