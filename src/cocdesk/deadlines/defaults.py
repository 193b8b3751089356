# ruff: noqa: E501 - one line per paragraph: mail clients and the portal wrap the text themselves
"""The seeded reporter templates (also written by migration 0002; the migration keeps its own copy).

Plain text in the plan's tone: thank the reporter, never doubt them, never promise an outcome.
`{reference}` becomes the case reference and `{member}` the name of the member who sends it.
Square brackets mark what the member fills in.
"""

from __future__ import annotations

TEMPLATES = {
    "acknowledgement": (
        "We have your report",
        """Hello,

Thank you for telling us. I am {member}, a member of the Code of Conduct committee, and I have read your report {reference}.

Only committee members without a conflict of interest can see it, and we will not share who you are without your permission.

[Anything you would like to add, or a question you need answered.]

We aim to tell you what we have decided within a week. If something else happens, or you remember more, you can reply to this message at any time.

If you are in danger right now, please contact local emergency services or venue security.

With care,
{member}, for the Code of Conduct committee""",
    ),
    "update": (
        "An update on your report",
        """Hello,

Thank you for your patience. This is an update on your report {reference}.

[What has happened since we last wrote. Share only what you can without naming anyone else.]

We will write again [when]. You can reply to this message at any time.

{member}, for the Code of Conduct committee""",
    ),
    "decision": (
        "What the committee decided",
        """Hello,

Thank you again for telling us about what happened. The committee has finished looking at your report {reference}, and we want you to know where things stand.

[What the committee decided, and the steps that have been taken. Describe only what has been agreed; do not name anyone else.]

If you have questions, or if anything else happens, please reply to this message. You do not have to go through this alone.

{member}, for the Code of Conduct committee""",
    ),
    "delay": (
        "Your report is taking us longer",
        """Hello,

Thank you for telling us about what happened. Your report {reference} has not been forgotten: looking into it carefully is taking us longer than a week.

We will write to you again when we can tell you more. If anything else happens in the meantime, or you would like to add something, you can reply to this message at any time.

If you are in danger right now, please contact local emergency services or venue security.

The Code of Conduct committee""",
    ),
}
