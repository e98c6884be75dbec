from django.contrib.auth import views as auth_views
from django.urls import include, path

from facesite import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("", include("identities.urls")),
    path("", include("pipeline.urls")),
    path("", include("recognition.urls")),
]
