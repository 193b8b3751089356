"""The access matrix (D3; issue 4), generated from the URL resolver.

Every URL pattern that takes a case (a `reference`) or a child object of one is requested with GET
and with POST (Django's test client does not enforce CSRF) by every role of `world.ROLES`, on a
case in every state and on a sealed escrowed case. Only the roles the table below names are let in;
everyone else gets the same "not found" as for a case that does not exist, without a trace of the
case, and a refused POST changes nothing.

A URL pattern with arguments that this module cannot classify fails
`test_every_url_pattern_with_arguments_is_classified`: add it to CASE_ROUTES (it takes a case or a
child of one), OTHER_ROUTES (it takes something that is not case data) or TECHNICAL_NAMESPACES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cocdesk.cases.models import TimelineKind
from cocdesk.cases.services import timeline_add
from cocdesk.members.models import ChairElection, MemberIdentity, Offboarding, OffboardingStep, Removal, Role
from cocdesk.members.selectors import totp_current_code
from cocdesk.members.services import (
    chair_election_open,
    identity_add,
    offboarding_start,
    offboarding_step_propose,
    removal_open,
)
from cocdesk.transparency.models import TransparencyReport
from cocdesk.transparency.selectors import text_digest
from cocdesk.transparency.services import report_checks_request, report_draft_create
from tests.access.world import (
    KWARG_BUILDERS,
    ROLES,
    STATES,
    Route,
    World,
    body_of,
    build_world,
    case_kwargs,
    is_public_route,
    kept_for_many_tests,
    response_leaks,
    search_differences,
    site_routes,
    snapshot,
    wrote_to_a_case,
)
from tests.factories import case_factory, device_of, member_factory, verified_client

pytestmark = pytest.mark.django_db

GET, POST = "GET", "POST"
BOTH = frozenset({GET, POST})
POST_ONLY = frozenset({POST})
GET_ONLY = frozenset({GET})
PARTICIPANT = frozenset({"participant"})
NOT_CONFLICTED = frozenset({"participant", "undeclared"})
# Roles that must not even learn that the case exists: its reference is on none of their pages.
NEVER_KNOW_IT_EXISTS = ("party", "named", "possible", "responder", "manager", "operator")
BOGUS_REFERENCE = "CoC-1999-9999"


def _text(w: World, member) -> dict:
    return {"text": "probe: this must not be stored"}


def _next_state(w: World, member) -> dict:
    if w.case.state == "closed":
        return {"to": "triage"}
    return {"to": "closed", "resolution": "withdrawn"}


def _conversation(w: World, member) -> dict:
    return {
        "held_on": "2026-11-22",
        "members": [w.p1.pk, w.p2.pk],
        "behavior": "probe",
        "impact": "probe",
        "plan": "probe",
        "plan_accepted": "yes",
    }


@dataclass(frozen=True)
class Spec:
    """How a case-scoped URL is probed.

    methods: the methods its view accepts (others answer 405 to everyone, before any lookup);
        None for a pattern found by keyword only, not yet in the table.
    allowed: the roles it serves on an unsealed case; `allowed_sealed`: on a sealed one.
    kwargs: builds its keyword arguments (default: by keyword name, KWARG_BUILDERS).
    payload: what a refused role POSTs: a valid form, so that a missing check would change something.
    """

    methods: frozenset | None = BOTH
    allowed: frozenset = PARTICIPANT
    allowed_sealed: frozenset = frozenset()
    kwargs: Callable[[World], dict] | None = None
    payload: Callable[[World, object], dict] = field(default=lambda w, member: {})


CASE_ROUTES: dict[str, Spec] = {
    # The prompt: members who have not declared see reference, channel and names, and may answer.
    "cases:detail": Spec(BOTH, NOT_CONFLICTED),
    "cases:declare": Spec(POST_ONLY, NOT_CONFLICTED, payload=lambda w, m: {"answer": "no_conflict"}),
    "cases:recuse": Spec(BOTH, payload=lambda w, m: {"confirm": "on"}),
    "cases:delete": Spec(BOTH, payload=lambda w, m: {"confirm": "on"}),
    "cases:note_add": Spec(POST_ONLY, payload=_text),
    "cases:owners": Spec(
        POST_ONLY, payload=lambda w, m: {"primary": w.members["participant"].pk, "secondary": w.p1.pk}
    ),
    "cases:post": Spec(POST_ONLY, payload=lambda w, m: {"body": "probe: this must not be stored"}),
    "cases:state": Spec(POST_ONLY, payload=_next_state),
    "cases:proposal": Spec(POST_ONLY, payload=lambda w, m: {"kind": "violation", "text": "probe"}),
    "cases:vote": Spec(POST_ONLY, payload=lambda w, m: {"choice": "no"}),
    "cases:round": Spec(POST_ONLY, payload=lambda w, m: {"questions": ["violation"]}),
    "cases:conversation": Spec(BOTH, payload=_conversation),
    "cases:context": Spec(POST_ONLY, payload=_text),
    "cases:follow_up": Spec(POST_ONLY, payload=_text),
    "cases:law_requested": Spec(POST_ONLY),
    "cases:law_record": Spec(POST_ONLY, payload=lambda w, m: {"shared": "probe", "shared_on": "2026-11-22"}),
    "cases:rejoin_agree": Spec(POST_ONLY),
    # A member held as possibly involved is cleared by a participant (never by themselves).
    "cases:possible_clear": Spec(
        POST_ONLY, kwargs=lambda w: {"reference": w.case.reference, "member_id": w.members["possible"].pk}
    ),
    # People on any case: participants add and correct reported people and witnesses (issue 10).
    "intake:people": Spec(BOTH, payload=lambda w, m: {"role": "reported", "name": "Probe Person"}),
    "intake:person": Spec(BOTH, payload=lambda w, m: {"role": "reported", "name": "Probe Person"}),
    "cases:contact": Spec(BOTH, payload=lambda w, m: {"code": totp_current_code(device_of(m))}),
    "cases:export": Spec(BOTH),
    "cases:attachment": Spec(BOTH),
    # A member who declared a conflict may ask to take part after all (their own declaration only).
    "cases:rejoin_request": Spec(POST_ONLY, frozenset({"conflicted"})),
    # The community manager reads exactly what was given to law enforcement.
    "cases:shared_record": Spec(BOTH, frozenset({"manager"})),
    # …after answering the conflict question on its case, as members do (issue 10).
    "cases:shared_declare": Spec(
        POST_ONLY, frozenset({"manager"}), payload=lambda w, m: {"answer": "no_conflict"}
    ),
    # Deadlines and reporter communications.
    "deadlines:compose": Spec(
        BOTH, payload=lambda w, m: {"kind": "update", "subject": "probe", "body": "probe: must not be sent"}
    ),
    # "Someone may be in danger" (D2): members taking part, and the responder who took the report.
    "cases:danger": Spec(
        BOTH,
        frozenset({"participant", "responder"}),
        payload=lambda w, m: {"action": "none_yet", "note": "probe: not stored"},
    ),
    "deadlines:told": Spec(
        POST_ONLY, payload=lambda w, m: {"kind": "update", "how": "phone", "text": "probe: not stored"}
    ),
    "deadlines:wishes": Spec(POST_ONLY, payload=lambda w, m: {"wants_updates": "no"}),
    "deadlines:case": Spec(GET_ONLY),
    # Keeping a closed case longer (D5): the chair; in this world, which has no chair, those taking part.
    "deadlines:retention_extend": Spec(
        BOTH, payload=lambda w, m: {"how": "date", "until": "2099-01-01", "reason": "probe: not stored"}
    ),
    "cases:search_start": Spec(POST_ONLY),
    "cases:search_end": Spec(POST_ONLY),
    # Transparency report (D6): the type and public summary of an incident, by participants.
    "transparency:case": Spec(
        POST_ONLY,
        payload=lambda w, m: {"category": "harassment", "summary": "probe: not stored", "anonymizable": "on"},
    ),
    # A case team checks the draft of the year's transparency report for their people (D6): the
    # members taking part, once a chair who does not take part asked them.
    "transparency:case_check": Spec(
        BOTH,
        kwargs=lambda w: {"reference": w.case.reference, "year": _asking_report(w).year},
        payload=lambda w, m: {"read": text_digest(_asking_report(w).body), "looks_fine": "on"},
    ),
    # Escrow: members with no conflict on either case of a match may unseal (D7).
    "escrow:unseal": Spec(
        BOTH, NOT_CONFLICTED, allowed_sealed=NOT_CONFLICTED, payload=lambda w, m: {"confirm": "on"}
    ),
}

# Patterns with arguments that are not case data: probed by every role, and must show no case.
OTHER_ROUTES: dict[str, Callable[[World], dict]] = {
    "intake:event": lambda w: {"event_id": w.event.pk},
    "intake:event_safety": lambda w: {"event_id": w.event.pk},
    # A report the taker filed from this session, by position (the probes have none: 404).
    "cases:taken_danger": lambda w: {"index": 0},
    "deadlines:template_edit": lambda w: {"kind": "acknowledgement"},
    # Transparency drafts are addressed by year and the chair's only (published ones are public).
    "transparency:draft": lambda w: {"year": _asking_report(w).year},
    "transparency:promotion": lambda w: {"year": _asking_report(w).year},
    "transparency:refresh": lambda w: {"year": _asking_report(w).year},
    "transparency:ask": lambda w: {"year": _asking_report(w).year},
    "transparency:publish": lambda w: {"year": _asking_report(w).year},
    # The committee over time (D8): about a member outside the case, so the pages hold no case.
    "removal": lambda w: {"pk": _removal(w).pk},
    "removal_post": lambda w: {"pk": _removal(w).pk},
    "removal_vote": lambda w: {"pk": _removal(w).pk},
    "offboarding": lambda w: {"pk": _offboarding(w).pk},
    "offboarding_tick": lambda w: {"pk": _offboarding(w).pk},
    "offboarding_notice": lambda w: {"pk": _offboarding(w).pk},
    # Names and addresses a member is known by (issue 10): about a member, never about a case.
    "identity_remove": lambda w: {"pk": _identity(w).pk},
    "member_identities": lambda w: {"member_id": w.p1.pk},
    # The chair's role changes (D1): an account, never a case (tests/members/test_roles.py).
    "member_role": lambda w: {"pk": w.p1.pk},
    "offboarding_step_confirm": lambda w: {"pk": _offboarding(w).pk, "step": _offboarding_step(w).pk},
    "chair_election": lambda w: {"pk": _chair_election(w).pk},
    "chair_election_vote": lambda w: {"pk": _chair_election(w).pk},
}


def _identity(w: World):

    existing = MemberIdentity.objects.filter(member=w.p1).first()
    return existing or identity_add(member=w.p1, kind="handle", value="@pat_primary", by=w.p1)


def _asking_report(w: World) -> TransparencyReport:
    """The draft report of the case's year, whose chair (taking part in nothing) asked the teams."""
    year = w.case.received_at.year
    existing = TransparencyReport.objects.filter(year=year).first()
    if existing:
        return existing
    chair = member_factory(name="Chas Chair", role=Role.CHAIR)
    report = report_draft_create(year=year, by=chair)
    report_checks_request(report=report, by=chair)
    return report


def _removal(w: World):

    existing = Removal.objects.filter(opened_by=w.p1).first()
    return existing or removal_open(member=member_factory(), by=w.p1, text="probe: removal discussion")


def _offboarding(w: World):

    existing = Offboarding.objects.filter(reason="resignation").first()
    return existing or offboarding_start(member=member_factory(), reason="resignation", actor="system")


def _offboarding_step(w: World):
    """A step one member asked for (the world's committee has no chair, so two members act for one)."""
    existing = OffboardingStep.objects.first()
    return existing or offboarding_step_propose(
        offboarding=_offboarding(w), kind="tick", item="mailing_lists", by=w.p1
    )


def _chair_election(w: World):
    existing = ChairElection.objects.first()
    return existing or chair_election_open(candidate=w.p2, by=w.p1)


# Django's admin (technical administration, D1): no case model is registered there, which
# test_named.py checks, and test_canary.py crawls every admin page for the canary.
TECHNICAL_NAMESPACES = ("admin",)


def classify(route: Route) -> str:
    """public | argument-free | case | other | technical | unclassified"""
    if is_public_route(route):
        return "public"
    if not route.kwargs:
        return "argument-free"
    if route.name in CASE_ROUTES:
        return "case"
    if route.name in OTHER_ROUTES:
        return "other"
    if route.namespace in TECHNICAL_NAMESPACES:
        return "technical"
    return "unclassified"


def case_routes() -> list[tuple[Route, Spec]]:
    """Every case-scoped pattern: those in the table, and any other whose keywords are all known
    (probed with the strictest expectations; the classification test still fails for it)."""
    found = []
    for route in site_routes():
        kind = classify(route)
        if kind == "case":
            found.append((route, CASE_ROUTES[route.name]))
        elif kind == "unclassified" and case_kwargs_known(route):
            found.append((route, Spec(methods=None)))
    return found


def case_kwargs_known(route: Route) -> bool:
    return set(route.kwargs) <= set(KWARG_BUILDERS)


def test_every_url_pattern_with_arguments_is_classified():
    unclassified = [f"{r.name} ({r.route})" for r in site_routes() if classify(r) == "unclassified"]
    assert not unclassified, (
        "URL patterns with arguments that the access matrix cannot classify; add each to CASE_ROUTES, "
        "OTHER_ROUTES or TECHNICAL_NAMESPACES in tests/access/test_access_matrix.py: "
        + ", ".join(unclassified)
    )


def test_the_resolver_walk_finds_the_case_routes():
    names = {route.name for route, _spec in case_routes()}
    assert {"cases:detail", "cases:vote", "cases:attachment", "cases:shared_record", "cases:post"} <= names
    assert "enrol" in {r.name for r in site_routes() if classify(r) == "public"}
    # The table names no pattern that does not exist: stale entries would hide a renamed route.
    stale = (set(CASE_ROUTES) | set(OTHER_ROUTES)) - {r.name for r in site_routes()}
    assert not stale, stale


# --- the matrix --------------------------------------------------------------------------------


def _kwargs(route: Route, spec: Spec, world: World) -> dict:
    if spec.kwargs is not None:
        return spec.kwargs(world)
    built = case_kwargs(route, world)
    assert built is not None, route
    return built


def _request(client, method: str, path: str, data: dict):
    return client.get(path) if method == GET else client.post(path, data)


class Matrix:
    """Runs and checks one role's requests on one world, collecting every failure."""

    def __init__(self, world: World, role: str, routes: list[tuple[Route, Spec]]) -> None:
        self.world, self.role = world, role
        self.failures: list[str] = []
        self.routes = routes
        self.baseline = snapshot(world.case)
        self.not_found = {}
        if role != "anonymous":
            client = world.client(role)
            self.not_found = {
                method: body_of(_request(client, method, f"/cases/{BOGUS_REFERENCE}/", {}))
                for method in (GET, POST)
            }

    def _not_found_now(self, method: str, body: bytes) -> bytes:
        """The 404 of a case that does not exist. Fetched again when it differs: a probe's setup may
        have changed the committee (the menu offers the roster to every member while it has no chair)."""
        if body != self.not_found[method]:
            client = self.world.client(self.role)
            self.not_found[method] = body_of(_request(client, method, f"/cases/{BOGUS_REFERENCE}/", {}))
        return self.not_found[method]

    def fail(self, method: str, path: str, message: str) -> None:
        self.failures.append(f"[{self.world.state}] {self.role} {method} {path}: {message}")

    def run(self) -> None:
        for route, spec in self.routes:
            with CaptureQueriesContext(connection) as queries:
                path = route.path(_kwargs(route, spec, self.world))
            if wrote_to_a_case(
                queries.captured_queries
            ):  # its arguments were made now (a report asking for checks queues mail)
                self.baseline = snapshot(self.world.case)
            self.probe(path, spec)

    def probe(self, path: str, spec: Spec) -> None:
        world, role = self.world, self.role
        allowed = role in (spec.allowed_sealed if world.state == "sealed" else spec.allowed)
        member = world.members.get(role)
        for method in (GET, POST):
            data = {} if allowed or member is None else spec.payload(world, member)
            with CaptureQueriesContext(connection) as queries:
                response = _request(world.client(role), method, path, data)
            self.check(method, path, spec, allowed, response, body_of(response))
            if method != POST or not wrote_to_a_case(queries.captured_queries):
                continue  # nothing it could have changed
            if allowed:
                world.restore()
                self.baseline = snapshot(world.case)
            else:
                after = snapshot(world.case)
                if after != self.baseline:
                    changed = {k: (self.baseline[k], after[k]) for k in after if after[k] != self.baseline[k]}
                    self.fail(method, path, f"a refused POST changed the case: {changed}")
                    world.restore()
                    self.baseline = snapshot(world.case)

    def check(self, method, path, spec, allowed, response, body) -> None:
        world, role, status = self.world, self.role, response.status_code
        if response.exc_info is not None:
            self.fail(method, path, f"server error {response.exc_info[1]!r}")
            return
        if role == "anonymous":
            if status != 302 or not response["Location"].startswith("/login/?next="):
                self.fail(method, path, f"expected a redirect to /login/, got {status}")
        elif spec.methods is not None and method not in spec.methods:
            if status != 405:
                self.fail(method, path, f"expected 405 (method not accepted), got {status}")
        elif allowed:
            if not (200 <= status < 400 or status == 400 or (spec.methods is None and status == 405)):
                self.fail(method, path, f"expected to be served (2xx/3xx/400), got {status}")
        elif status != 404 and not (spec.methods is None and status == 405):
            self.fail(method, path, f"expected 404, got {status}")
        elif status == 404 and body != self._not_found_now(method, body):
            self.fail(method, path, "the 404 differs from the one for a case that does not exist")

        served_participant = allowed and role == "participant"
        if not served_participant:
            where = response_leaks(world.canary, response, body=body)
            if where:
                self.fail(method, path, f"the case canary shows in the {', '.join(where)}")
        if role in NEVER_KNOW_IT_EXISTS and not allowed:
            where = response_leaks(world.case.reference, response, body=body)
            if where:
                self.fail(method, path, f"the case reference shows in the {', '.join(where)}")
        if role == "anonymous" and world.case.reference.lower().encode() in body.lower():
            self.fail(method, path, "the case reference shows in the body")
        if world.state == "sealed" and role == "manager" and world.shared_marker.encode() in body:
            self.fail(method, path, "a sealed case's law-enforcement record is readable")


# One world per state, built once for every test of this module that uses it (pytest runs the tests
# of one `world` parameter together): each test rolls back to it. Building a world takes longer than
# probing every route as one role, so the matrix is one test per state and role.
@pytest.fixture(scope="module")
def _world_files(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("world-files")


@pytest.fixture(autouse=True)
def _own_file_storage(settings, _world_files):
    """Overrides the suite's folder per test: the worlds' files are stored once, for the whole module."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": _world_files},
        },
    }


@pytest.fixture(scope="module")
def state_world(request, django_db_setup, django_db_blocker, _world_files) -> Iterator[World]:
    """The world of the state a test is parametrised with (indirectly)."""
    with kept_for_many_tests(django_db_blocker, _world_files):
        yield build_world(request.param)


@pytest.fixture
def world(state_world: World, db) -> World:
    """The state's world as built: clients of its own, the case as stored."""
    state_world.clients.clear()
    state_world.case.refresh_from_db()
    return state_world


# The states whose matrix also runs in the fast suite (`pytest -m "not slow"`), as every role: the
# richest case and the sealed one. The other five run in `make test` and CI.
FAST_STATES = ("follow_up", "sealed")


EVERY_STATE = [
    pytest.param(state, marks=() if state in FAST_STATES else pytest.mark.slow) for state in STATES
]


def test_a_write_to_the_case_is_noticed_and_a_session_save_is_not(alice):
    """The matrix compares a case before and after a refused POST only when the request wrote to one of
    the tables the snapshot reads: a real write must count, the session saved on every request not."""
    case = case_factory(participants=(alice,))
    with CaptureQueriesContext(connection) as note:
        timeline_add(case=case, author=alice, kind=TimelineKind.NOTE, text="a note")
    assert wrote_to_a_case(note.captured_queries)
    client = verified_client(alice)
    with CaptureQueriesContext(connection) as page:
        client.get("/dashboard/")
    assert page.captured_queries and not wrote_to_a_case(page.captured_queries)


@pytest.mark.parametrize("state_world", EVERY_STATE, indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world: World, role: str):
    routes = case_routes()
    assert len(routes) >= 20, [r.name for r, _ in routes]
    matrix = Matrix(world, role, routes)
    matrix.run()
    assert not matrix.failures, f"{len(matrix.failures)} failures:\n" + "\n".join(matrix.failures)


@pytest.mark.parametrize("state_world", EVERY_STATE, indirect=True)
def test_the_matrix_reached_a_real_case_and_served_who_may_read(world: World):
    """Positive controls: the probes reached a real case, and the roles that may read were served."""
    detail = f"/cases/{world.case.reference}/"
    participant_page = world.client("participant").get(detail)
    prompt = world.client("undeclared").get(detail)
    shared = world.client("manager").get(f"/shared/{world.law_record.pk}/")
    if world.state == "sealed":
        assert participant_page.status_code == prompt.status_code == shared.status_code == 404
    else:
        assert participant_page.status_code == 200 and world.canary in participant_page.text
        assert prompt.status_code == 200 and "conflict of interest" in prompt.text
        assert world.canary not in prompt.text
        assert shared.status_code == 200 and world.shared_marker in shared.text
        assert world.canary not in shared.text


# --- pages without a case in their address --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("state_world", ["response"], indirect=True)
def test_pages_without_arguments_show_no_hidden_case(world: World):
    """Dashboards, lists, exports, search, catalog, admin: nothing of a case a role may not read."""
    reference = world.case.reference
    failures = []
    routes = site_routes()
    plain = [r for r in routes if classify(r) == "argument-free" and not r.is_regex]
    public = [r for r in routes if classify(r) == "public"]
    others = [(r, OTHER_ROUTES[r.name]) for r in routes if classify(r) == "other"]
    assert {"/dashboard/", "/cases/", "/admin/"} <= {r.path({}) for r in plain}

    paths = [r.path({}) for r in plain] + [r.path(build(world)) for r, build in others]
    searches = [world.canary[:18], world.reported_name, reference]  # a fragment, a name, the reference
    for role in ROLES:
        if role == "participant":
            continue
        client = world.client(role)
        for path in paths:
            response = client.get(path)
            body = body_of(response)
            if response.exc_info is not None or response.status_code >= 500:
                failures.append(f"{role} GET {path}: server error")
            if response_leaks(world.canary, response, body=body):
                failures.append(f"{role} GET {path}: the case canary shows")
            manager_reads_shared = role == "manager" and path.startswith("/shared/")
            if (
                role in NEVER_KNOW_IT_EXISTS
                and not manager_reads_shared
                and reference.lower().encode() in body.lower()
            ):
                failures.append(f"{role} GET {path}: the case reference shows")
        for query in searches:
            if role == "undeclared" and query == reference:
                continue  # asked to declare, they know the reference: it is in their list
            difference = search_differences(client, "/cases/", "q", query)
            if difference:
                failures.append(f"{role} searched /cases/ for {query!r}: {difference}")

    anonymous = world.client("anonymous")
    for route in public:
        path = route.placeholder_path()
        response = anonymous.get(path)
        if response.status_code >= 500 or response_leaks(world.canary, response):
            failures.append(f"anonymous GET {path} ({route.name}): error or canary")
    assert not failures, "\n".join(failures)
