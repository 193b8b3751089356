from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "cocdesk.deadlines"
    label = "deadlines"
    verbose_name = "Deadlines and reporter communications"
