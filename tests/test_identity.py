"""Who is who (D3, D7): normalising identifiers and matching members against what a report says
(`cocdesk.identity`, pure), property-tested."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from cocdesk.identity import (
    Strength,
    canonical,
    fold,
    identity_keys,
    match,
    probe_keys,
    text_probe_keys,
    vocabulary,
)

LATIN = "abcdefghijklmnopqrstuvwxyzàáâäãåçèéêëìíîïñòóôöõøùúûüýÿßæœł"
words = st.text(alphabet=LATIN, min_size=2, max_size=10)
names = st.lists(words, min_size=2, max_size=4)
LATIN_WORDS = ["Ana", "ana", "Bo", "Zoë", "zoe", "Lukasz", "the", "and", "B", "H.", "Hartmann,"]
# Two alphabets no letter of which folds into the other's: names from each share no word or initial.
FIRST_HALF, SECOND_HALF = "abcdefghijklmàáâäãåçèéêëìíîïæł", "nopqrstuvwxyzñòóôöõøùúûüýÿßœ"
any_text = st.text(max_size=60)


def _matches(member_name: str, party_name: str) -> Strength | None:
    found = match(identity_keys("name", member_name), probe_keys("name", party_name))
    return found.strength if found else None


def _in_text(kind: str, value: str, text: str) -> Strength | None:
    found = match(identity_keys(kind, value), text_probe_keys(text))
    return found.strength if found else None


# --- normalising -----------------------------------------------------------------------------------


@given(any_text)
def test_folding_twice_is_folding_once(value):
    assert fold(fold(value)) == fold(value)


@given(st.sampled_from(["name", "email", "handle"]), any_text)
def test_the_canonical_form_is_stable(kind, value):
    once = canonical(kind, value)
    assert canonical(kind, once) == once


@given(names)
def test_a_name_is_the_same_whatever_the_case_accents_spacing_or_order(tokens):
    plain = " ".join(tokens)
    shouted = "  ".join(t.upper() for t in reversed(tokens))
    assert canonical("name", plain) == canonical("name", shouted)
    assert canonical("name", plain) == canonical("name", f"{tokens[-1]}, {' '.join(tokens[:-1])}")


def test_accents_and_unicode_forms_fold_away():
    assert canonical("name", "Zoë Ångström") == canonical("name", "ZOE  angstrom")
    assert canonical("name", "Zoe\u0308 Ha\u0308rtmann") == canonical("name", "Zoë Härtmann")  # NFD
    assert canonical("name", "\uff22\uff45\uff4e Hartmann") == canonical("name", "Ben Hartmann")  # fullwidth
    assert canonical("name", "Søren Łukasz") == canonical("name", "Soren Lukasz")
    assert canonical("name", "O'Brien Jean-Luc") == canonical("name", "jean luc OBrien")


def test_email_addresses_lose_tags_and_gmail_dots():
    assert canonical("email", " Ben.Hartmann+coc@GMail.com ") == "benhartmann@gmail.com"
    assert canonical("email", "ben.hartmann@googlemail.com") == "benhartmann@gmail.com"
    assert canonical("email", "ben.hartmann+x@example.org") == "ben.hartmann@example.org"
    assert canonical("email", "mailto:<Ben@Example.ORG>") == "ben@example.org"


def test_handles_lose_at_signs_and_punctuation():
    assert canonical("handle", "@Ben_H") == canonical("handle", "ben.h") == canonical("handle", "BenH")
    assert canonical("handle", "@@benh") == "benh"
    assert canonical("handle", "@ben@Hachyderm.io") == "ben@hachyderm.io"


# --- matching ----------------------------------------------------------------------------------------


@given(names, st.sampled_from([str.upper, str.lower, str.title]), st.sampled_from([" ", "  ", "\t", " - "]))
def test_the_full_name_in_any_spelling_makes_a_party(tokens, case, sep):
    assert _matches(" ".join(tokens), case(sep.join(tokens))) == Strength.FULL


@given(names)
def test_first_name_alone_or_initial_and_surname_is_partial(tokens):
    full = " ".join(tokens)
    assert _matches(full, tokens[0]) >= Strength.PARTIAL
    assert _matches(full, f"{fold(tokens[0])[0].upper()}. {tokens[-1]}") >= Strength.PARTIAL


def test_partial_forms_are_partial_and_other_people_do_not_match():
    assert _matches("Ben Hartmann", "ben") == Strength.PARTIAL
    assert _matches("Ben Hartmann", "B. Hartmann") == Strength.PARTIAL
    assert _matches("Ben Hartmann", "Ben H.") == Strength.PARTIAL
    assert _matches("Ben Hartmann", "Hartmann") == Strength.PARTIAL
    assert _matches("Ben Hartmann", "Bén HARTMANN") == Strength.FULL
    assert _matches("Ben Hartmann", "Hartmann, Ben") == Strength.FULL
    assert _matches("Ben Hartmann", "Ben J. Hartmann") == Strength.FULL
    assert _matches("Ben Hartmann", "Ben Smith") is None
    assert _matches("Ben Hartmann", "Benjamin") is None


@given(
    st.lists(st.text(alphabet=FIRST_HALF, min_size=2, max_size=10), min_size=2, max_size=4),
    st.lists(st.text(alphabet=SECOND_HALF, min_size=2, max_size=10), min_size=1, max_size=4),
)
def test_two_names_without_a_word_or_initial_in_common_never_match(first, second):
    assert _matches(" ".join(first), " ".join(second)) is None
    assert _matches(" ".join(second), " ".join(first)) is None


def test_an_address_or_handle_typed_into_the_name_field_still_matches():
    assert match(identity_keys("email", "ben@example.org"), probe_keys("name", "Ben@Example.org"))
    assert match(identity_keys("handle", "benh"), probe_keys("name", "@BenH"))
    assert match(identity_keys("email", "ben+x@example.org"), probe_keys("handle", "ben@example.org"))


def test_names_handles_and_addresses_in_free_text():
    assert _in_text("name", "Ben Hartmann", "Yesterday ben hartmann shouted at me.") == Strength.FULL
    assert _in_text("name", "Ben Hartmann", "Then Ben said it again.") == Strength.PARTIAL
    assert _in_text("name", "Ben Hartmann", "He wrote to B. Hartmann.") == Strength.PARTIAL
    assert _in_text("name", "Ben Hartmann", "the ben of the river") is None  # lowercase words alone
    assert _in_text("name", "Jean-Luc Picard", "It was Jean-Luc Picard.") == Strength.FULL
    assert _in_text("email", "benh@gmail.com", "mail him at <Ben.H+coc@gmail.com>.") == Strength.FULL
    assert _in_text("handle", "BenH", "in #general @ben_h posted it.") == Strength.FULL
    assert _in_text("handle", "benh", "write to benh@example.org") is None  # an address, not a handle
    assert _in_text("name", "Ben Hartmann", "Ben\n\nHartmann Street") == Strength.PARTIAL


@given(names, st.text(alphabet=LATIN + " .,\n", max_size=80), st.text(alphabet=LATIN + " .,\n", max_size=80))
def test_a_full_name_anywhere_in_free_text_is_found(tokens, before, after):
    text = f"{before} {' '.join(t.title() for t in tokens)} {after}"
    assert _in_text("name", " ".join(tokens), text) == Strength.FULL


@given(names, st.lists(st.sampled_from(["Ben", "Smith", "B. Hartmann", "ben hartmann", "@benh"]), max_size=3))
def test_matching_blind_indexes_gives_what_matching_the_keys_gives(tokens, said):
    def hashed(keys):
        return {hashlib.sha256(k.encode()).hexdigest(): v for k, v in keys.items()}

    member = {**identity_keys("name", " ".join(tokens)), **identity_keys("handle", "benh")}
    probes = set().union(*(probe_keys("name", s) for s in said)) if said else set()
    plain = match(member, probes)
    blind = match(hashed(member), {hashlib.sha256(p.encode()).hexdigest() for p in probes})
    assert (plain and plain.strength) == (blind and blind.strength)


@given(
    st.lists(names, min_size=1, max_size=3),
    st.lists(
        st.sampled_from([*LATIN_WORDS, "B.", "Ben", "Hartmann", "ben hartmann", "\n\n", "-"]), max_size=40
    ),
)
def test_leaving_out_words_outside_the_members_names_changes_no_match(member_names, text_words):
    text = " ".join(text_words)
    names_ = [" ".join(tokens) for tokens in member_names] + ["Ben Hartmann"]
    words_ = vocabulary(names_)
    full, narrowed = text_probe_keys(text), text_probe_keys(text, words=words_)
    assert narrowed <= full
    for name in names_:
        assert match(identity_keys("name", name), full) == match(identity_keys("name", name), narrowed)
