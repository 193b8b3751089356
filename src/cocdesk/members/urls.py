from django.urls import path

from cocdesk.members import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("enrol/<str:token>/", views.enrol_view, name="enrol"),
]
