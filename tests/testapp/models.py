"""A model that exists only in tests, to exercise the encrypted fields on a real table."""

from django.db import models

from cocdesk.crypto import EncryptedJSONField, EncryptedTextField


class Secret(models.Model):
    text = EncryptedTextField(blank=True, null=True)
    data = EncryptedJSONField(blank=True, null=True)

    def __str__(self) -> str:
        return f"secret {self.pk}"
