"""Decision rounds and one answer per question (issue 12).

Existing data is brought under the new rules as they would have produced it:
- every conversation in which the plan was refused opened a round: it becomes a DecisionRound
  (2, 3, … in the order they were recorded) reopening the plan, consequences and the response;
- an open proposal belongs to the current round (open proposals move with a new round);
- a member has one yes per question among open alternatives: their latest is kept;
- where several alternatives of one question passed in a round (the bug this fixes: "violation"
  and "no violation" both passed), the first to pass stands and the others are closed by it, as
  they would have been; open alternatives of a decided question are closed the same way. Each
  case this changes gets a timeline entry saying so.
Quorum is not applied to what was already decided.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import cocdesk.clock

QUESTIONS_A_REFUSED_PLAN_REOPENS = ["plan", "consequences", "refusal"]


def rounds_and_answers(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Conversation = apps.get_model("cases", "Conversation")
    DecisionRound = apps.get_model("cases", "DecisionRound")
    Proposal = apps.get_model("cases", "Proposal")
    Vote = apps.get_model("cases", "Vote")
    TimelineEntry = apps.get_model("cases", "TimelineEntry")

    refused = Conversation.objects.filter(plan_accepted=False).order_by("case_id", "created_at", "pk")
    current: dict[int, int] = {}
    for talk in refused:
        number = current.get(talk.case_id, 1) + 1
        current[talk.case_id] = number
        DecisionRound.objects.create(
            case_id=talk.case_id,
            number=number,
            reason="plan_refused",
            questions=QUESTIONS_A_REFUSED_PLAN_REOPENS,
            opened_by_id=talk.recorded_by_id,
            opened_at=talk.created_at,
        )
    # One answer per question: the first alternative to pass stands.
    changed: dict[int, list[str]] = {}
    passed = Proposal.objects.filter(status="passed").order_by("decided_at", "pk")
    answer: dict[tuple, object] = {}
    for proposal in passed:
        key = (proposal.case_id, proposal.round, proposal.kind)
        if key not in answer:
            answer[key] = proposal
            continue
        proposal.status, proposal.closed_by = "closed", answer[key]
        proposal.save(update_fields=["status", "closed_by"])
        changed.setdefault(proposal.case_id, []).append(proposal.text)
    for (case_id, round_, kind), first in answer.items():
        alternatives = Proposal.objects.filter(case_id=case_id, round=round_, kind=kind, status="open")
        alternatives.update(status="closed", closed_by=first, decided_at=first.decided_at)
    for case_id, texts in changed.items():
        TimelineEntry.objects.create(
            case=Case.objects.get(pk=case_id),
            kind="decision",
            text="One answer per question: "
            + "; ".join(f"“{text}”" for text in texts)
            + " had passed after another answer to the same question and is now closed by it.",
        )

    # One yes per member per question among open alternatives: the latest stands.
    open_yes = Vote.objects.filter(proposal__status="open", choice="yes").select_related("proposal")
    latest: dict[tuple, object] = {}
    for vote in open_yes.order_by("cast_at", "pk"):
        key = (vote.proposal.case_id, vote.proposal.kind, vote.member_id)
        if key in latest:
            latest[key].delete()
        latest[key] = vote

    # Open proposals belong to the current round (they move with a new one).
    for case_id, number in current.items():
        Proposal.objects.filter(case_id=case_id, status="open", round__lt=number).update(round=number)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0020_case_visit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DecisionRound",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveSmallIntegerField()),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("plan_refused", "The reported person did not accept the plan"),
                            ("reevaluation", "Re-evaluation"),
                        ],
                        max_length=16,
                    ),
                ),
                ("questions", models.JSONField(blank=True, default=list)),
                ("opened_at", models.DateTimeField(default=cocdesk.clock.now)),
            ],
            options={
                "ordering": ["number"],
            },
        ),
        migrations.AddField(
            model_name="proposal",
            name="closed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="closed_alternatives",
                to="cases.proposal",
            ),
        ),
        migrations.AlterField(
            model_name="proposal",
            name="kind",
            field=models.CharField(
                choices=[
                    ("violation", "Is this a Code of Conduct violation?"),
                    ("plan", "Behavioral modification plan"),
                    ("consequences", "Consequences"),
                    ("refusal", "Re-evaluation: the response if the plan is not understood or refused"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="proposal",
            name="status",
            field=models.CharField(
                choices=[
                    ("open", "Open for votes"),
                    ("passed", "Passed"),
                    ("failed", "Did not pass"),
                    ("closed", "Closed: another answer passed"),
                ],
                default="open",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="decisionround",
            name="case",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="decision_rounds", to="cases.case"
            ),
        ),
        migrations.AddField(
            model_name="decisionround",
            name="opened_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="decisionround",
            constraint=models.UniqueConstraint(fields=("case", "number"), name="one_round_number_per_case"),
        ),
        migrations.RunPython(rounds_and_answers, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="proposal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "passed")),
                fields=("case", "round", "kind"),
                name="one_answer_per_question",
            ),
        ),
    ]
