"""50 reports sent at once over HTTP get 50 distinct references and 50 stored cases (intake issue)."""

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request

import pytest

from cocdesk.cases.models import Case
from cocdesk.intake import ratelimit

N = 50


def submit(base_url: str, n: int, results: list, errors: list) -> None:
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = opener.open(f"{base_url}/report/", timeout=60).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "kind": "anonymous",
                "preferred_contact": "email",
                "wants_updates": "no",
                "what_happened": f"concurrent report {n}",
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
            f"{base_url}/report/", data=body, headers={"Referer": f"{base_url}/report/"}
        )
        page = opener.open(request, timeout=60).read().decode()  # follows the redirect to the thanks page
        results.append(re.search(r"CoC-\d{4}-[0-9A-Z]{4,6}", page).group(0))
    except Exception as exc:
        errors.append(repr(exc))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_web_submissions_get_fifty_references(live_server, settings):
    settings.REPORT_RATE_LIMIT = (1000, 3600)
    ratelimit.reset()
    results, errors = [], []
    threads = [threading.Thread(target=submit, args=(live_server.url, n, results, errors)) for n in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(set(results)) == N
    assert Case.objects.count() == N
    assert sorted(Case.objects.values_list("reference", flat=True)) == sorted(results)
