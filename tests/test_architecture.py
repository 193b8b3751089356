"""The layers of docs/architecture.md hold: the import contract, checked on the real tree, and the
checker itself shown to catch each kind of break."""

import pytest

from tests.layers import graph_of, load_tree, violations


def test_the_source_tree_keeps_the_import_contract():
    assert violations(graph_of(load_tree())) == []


def _breaks(sources: dict[str, str], *, model_classes: tuple[str, ...] = ()) -> list[str]:
    """Violations in a made-up tree; `model_classes` names the imported names that are models."""
    return violations(graph_of(sources), model_check=lambda module, name: name in model_classes)


@pytest.mark.parametrize(
    ("sources", "model_classes", "expected"),
    [
        ({"cocdesk.crypto": "from cocdesk.cases import selectors\n"}, (), "the floor imports no app"),
        (
            {"cocdesk.deadlines.rules": "from cocdesk.cases.models import Case\n"},
            (),
            "a rules module is pure",
        ),
        (
            {"cocdesk.access": "from cocdesk.cases.services import case_open\n"},
            (),
            "access and audit import no app's services",
        ),
        (
            {"cocdesk.cases.selectors": "from cocdesk.cases.services import case_open\n"},
            (),
            "selectors read",
        ),
        (
            {"cocdesk.intake.services": "from cocdesk.outbox.services import outbox_enqueue\n"},
            (),
            "mail is queued only through cocdesk.notices",
        ),
        (
            {"cocdesk.intake.services": "from cocdesk.cases.models import Case, Kind\n"},
            ("Case",),
            "writes another app's tables only through its services (Case)",
        ),
        (
            {"cocdesk.deadlines.views": "from cocdesk.cases import services\n"},
            (),
            "a view imports its own app",
        ),
        (
            {"cocdesk.cases.models": "from cocdesk.cases.selectors import case_visible\n"},
            (),
            "models import only the floor and other models",
        ),
    ],
)
def test_the_checker_catches_each_broken_rule(sources, model_classes, expected):
    found = _breaks(sources, model_classes=model_classes)
    assert len(found) == 1 and expected in found[0], found


def test_type_hints_and_enums_do_not_count():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from cocdesk.cases.models import Kind\n"
        "if TYPE_CHECKING:\n"
        "    from cocdesk.cases.models import Case\n"
    )
    assert _breaks({"cocdesk.intake.services": source}, model_classes=("Case",)) == []


def test_the_checker_finds_an_import_cycle():
    found = _breaks(
        {
            "cocdesk.cases.services": "from cocdesk.escrow import services\n",
            "cocdesk.escrow.services": "from cocdesk.cases.services import case_unseal\n",
        }
    )
    assert found == ["import cycle: cocdesk.cases.services -> cocdesk.escrow.services"]
