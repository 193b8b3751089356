from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "cocdesk.members"
    label = "members"
    verbose_name = "Committee members"
