"""A vote racing a conflict declaration (issue 11, D3/D4): both lock the case row first, so neither
deadlocks nor leaves a stored tally that a recount contradicts. Threads with their own database
connections; meaningful on PostgreSQL (SQLite serialises writers anyway), run on both."""

import threading

import pytest
from django.db import connection

from cocdesk.cases.models import Proposal, ProposalStatus
from cocdesk.cases.selectors import proposal_tally
from cocdesk.cases.services import conflict_declare, proposal_create, vote_cast
from tests.factories import case_factory, member_factory

ROUNDS = 50


def _race(*actions) -> list[str]:
    """Run each action in its own thread (own connection), all released at once; return errors."""
    errors: list[str] = []
    barrier = threading.Barrier(len(actions))

    def run(action):
        try:
            barrier.wait(timeout=30)
            action()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_vote_racing_a_declaration_never_deadlocks_and_the_tally_is_a_recount():
    members = [member_factory(name=f"Member {n}", email=f"m{n}@example.org") for n in range(5)]
    ann, ben, cat, dan, eve = members
    for round_ in range(ROUNDS):
        case = case_factory(reported=f"Person {round_}", participants=(ann, ben, cat, dan))
        proposal = proposal_create(case=case, kind="violation", text="No, this is NOT a violation.", by=ann)
        leaving = dan if round_ % 2 else eve  # one leaves, or one more joins, while ben votes
        errors = _race(
            lambda p=proposal: vote_cast(proposal=p, member=ben, choice="no"),
            lambda c=case, m=leaving: conflict_declare(case=c, member=m, has_conflict=m is dan),
        )
        assert errors == [], f"round {round_}"
        proposal = Proposal.objects.get(pk=proposal.pk)
        assert proposal.status == ProposalStatus.OPEN
        assert proposal.tally == proposal_tally(proposal=proposal), f"round {round_}"
