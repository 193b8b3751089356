"""Property: no input to the public pages gives a 500 or an unhandled exception (intake issue)."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocdesk.intake import ratelimit

FIELDS = [
    "kind",
    "your_name",
    "your_email",
    "your_phone",
    "other_contact",
    "preferred_contact",
    "wants_updates",
    "notify_email",
    "what_happened",
    "when",
    "where",
    "event",
    "ongoing",
    "immediate_danger",
    "witnesses",
    "law_enforcement",
    "reported_1_name",
    "reported_1_email",
    "reported_1_handle",
    "exclude_members",
    "keep_metadata",
    "csrfmiddlewaretoken",
    "code",
    "body",
]
text = st.text(max_size=300) | st.sampled_from(
    ["named", "anonymous", "escrowed", "email", "yes", "no", "on", "1"]
)
forms = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(text, st.lists(text, max_size=3)), max_size=len(FIELDS)
)


@pytest.mark.slow
@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=forms, path=st.sampled_from(["/report/", "/report/status/"]))
def test_no_public_form_input_causes_a_server_error(data, path):
    ratelimit.reset()
    response = Client().post(path, data)
    assert response.status_code in (200, 302, 429)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["9223372036854775808", "1" * 40, "-1", "1e3", " 7 "])
def test_a_choice_that_cannot_be_an_id_is_refused_kindly_not_a_server_error(value):
    ratelimit.reset()
    response = Client().post("/report/", {"what_happened": "x", "exclude_members": value, "event": value})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
