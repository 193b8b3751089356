from django.urls import path

from cocdesk.escrow import views

app_name = "escrow"
urlpatterns = [
    path("escrow/", views.matches, name="matches"),
    path("escrow/<int:match_id>/unseal/", views.unseal, name="unseal"),
]
