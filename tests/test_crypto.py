"""Encrypted fields and blind indexes (foundation issue; D7, D12)."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from cocdesk.crypto import blind_index, identifier_words, normalize_identifier, part_indexes
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db

CANARY = "canary-7f3a9 Jamie hurt me at the booth"


def _raw(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT text, data FROM testapp_secret WHERE id = %s", [pk])
        return cursor.fetchone()


def test_encrypted_fields_hold_no_plaintext_in_the_database():
    secret = Secret.objects.create(text=CANARY, data={"who": CANARY})
    raw_text, raw_data = _raw(secret.pk)
    assert "canary" not in raw_text and "canary" not in raw_data
    assert raw_text.startswith("gAAAA")  # a Fernet token
    fresh = Secret.objects.get(pk=secret.pk)
    assert fresh.text == CANARY
    assert fresh.data == {"who": CANARY}


def test_the_same_text_encrypts_differently_each_time():
    a, b = Secret.objects.create(text=CANARY), Secret.objects.create(text=CANARY)
    assert _raw(a.pk)[0] != _raw(b.pk)[0]


def test_encrypted_fields_cannot_be_searched_by_content():
    Secret.objects.create(text=CANARY)
    with pytest.raises(Exception, match="Unsupported lookup"):
        list(Secret.objects.filter(text__icontains="canary"))


def test_key_rotation_keeps_data_readable(settings):
    old_key = settings.FIELD_KEYS[0]
    secret = Secret.objects.create(text=CANARY, data=[1, 2])
    new_key = Fernet.generate_key().decode()
    settings.FIELD_KEYS = [new_key, old_key]
    assert Secret.objects.get(pk=secret.pk).text == CANARY  # readable before rotation

    call_command("rotate_keys")

    raw_text, _ = _raw(secret.pk)
    assert Fernet(new_key.encode()).decrypt(raw_text.encode()).decode() == CANARY
    settings.FIELD_KEYS = [new_key]  # the old key is gone
    fresh = Secret.objects.get(pk=secret.pk)
    assert (fresh.text, fresh.data) == (CANARY, [1, 2])


def test_blind_index_matches_spelling_variants_of_the_same_person():
    assert blind_index("  Jamie  Doe ", kind="name") == blind_index("jamie doe", kind="name")
    assert blind_index("@JamieD", kind="handle") == blind_index("jamied", kind="handle")
    assert blind_index("Jamie@Example.ORG", kind="email") == blind_index("jamie@example.org", kind="email")
    assert blind_index("jamie doe", kind="name") != blind_index("jamie doe", kind="handle")


def test_blind_index_depends_on_the_key(settings):
    before = blind_index("jamie doe", kind="name")
    settings.INDEX_KEY = "another key"
    assert blind_index("jamie doe", kind="name") != before
    assert "jamie" not in before


def test_normalize_identifier_folds_case_and_width():
    assert normalize_identifier("\uff2a\uff21\uff2d\uff29\uff25", kind="name")  # fullwidth "JAMIE" == "jamie"


def test_words_of_names_and_of_text_split_the_same_way():
    text = "(Quinn Avery's) talk: J. O'Brien-Smith, qa.writes."
    assert [text[s:e] for s, e in identifier_words(text)] == [
        "Quinn",
        "Avery",
        "talk",
        "J",
        "O'Brien-Smith",
        "qa.writes",
    ]


def test_part_indexes_hold_the_words_of_a_name_and_the_local_parts_but_no_identifier():
    parts = part_indexes(name="Quinn  Avery", email="qa.writes@example.com", handle="@owl@social.example")
    assert set(parts.split()) == {
        "n:" + blind_index("quinn", kind="name"),
        "n:" + blind_index("AVERY", kind="name"),
        "e:" + blind_index("qa.writes", kind="handle"),
        "h:" + blind_index("owl", kind="handle"),
    }
    assert "quinn" not in parts and "owl" not in parts.replace("h:", "")
    assert part_indexes(name="", email="", handle="@sparrow42") == ""
