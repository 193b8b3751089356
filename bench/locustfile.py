"""Load for `make bench` (loopback only): 20 clients posting, as fast as answers come back.

`ReportUser` posts a named report to the public form (the reporter's name and address, one reported
person, a witness) and expects the redirect to the thank-you page; `BareUser` posts to
`/bench/bare/`, a Django view in the same gunicorn that inserts one row. Both fetch the form once
for the CSRF cookie and token, and post with it.
"""

import random
import re

from locust import HttpUser, constant, task

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _Poster(HttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        page = self.client.get("/report/", name="form (setup)")
        self.token = TOKEN.search(page.text).group(1)


class ReportUser(_Poster):
    @task
    def report(self) -> None:
        n = random.randrange(1_000_000)
        data = {
            "csrfmiddlewaretoken": self.token,
            "kind": "named",
            "your_name": f"Robin Reporter {n}",
            "your_email": f"robin{n}@example.net",
            "preferred_contact": "email",
            "wants_updates": "yes",
            "what_happened": "They kept interrupting me and made comments about my accent. " * 5,
            "when": "Saturday afternoon",
            "where": "the hallway after the keynote",
            "reported_1_name": f"Jamie Doe{n % 997}",
            "reported_1_email": f"jamie{n % 997}@example.com",
            "witnesses": "Sam Witness",
        }
        with self.client.post(
            "/report/", data, name="POST /report/", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"status {response.status_code}")


class BareUser(_Poster):
    @task
    def bare(self) -> None:
        with self.client.post(
            "/bench/bare/", {"csrfmiddlewaretoken": self.token}, name="POST /bench/bare/", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
