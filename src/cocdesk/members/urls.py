from django.urls import path

from cocdesk.members import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("enrol/<str:token>/", views.enrol_view, name="enrol"),
    # The committee over time (D8).
    path("resign/", views.resign, name="resign"),
    path("removals/", views.removals, name="removals"),
    path("removals/new/", views.removal_new, name="removal_new"),
    path("removals/<int:pk>/", views.removal_detail, name="removal"),
    path("removals/<int:pk>/post/", views.removal_post, name="removal_post"),
    path("removals/<int:pk>/vote/", views.removal_vote, name="removal_vote"),
    path("roster/", views.roster, name="roster"),
    # Names, addresses and handles members are known by (D3).
    path("identities/", views.identities, name="identities"),
    path("identities/<int:pk>/remove/", views.identity_remove, name="identity_remove"),
    path("roster/<int:member_id>/identities/", views.member_identities, name="member_identities"),
    path("roster/<int:pk>/role/", views.member_role, name="member_role"),
    path("offboarding/<int:pk>/", views.offboarding_detail, name="offboarding"),
    path("offboarding/<int:pk>/tick/", views.offboarding_tick, name="offboarding_tick"),
    path("offboarding/<int:pk>/notice/", views.offboarding_notice, name="offboarding_notice"),
    path(
        "offboarding/<int:pk>/steps/<int:step>/confirm/",
        views.offboarding_step_confirm,
        name="offboarding_step_confirm",
    ),
    path("chair-elections/", views.chair_elections, name="chair_elections"),
    path("chair-elections/<int:pk>/", views.chair_election_detail, name="chair_election"),
    path("chair-elections/<int:pk>/vote/", views.chair_election_vote, name="chair_election_vote"),
]
