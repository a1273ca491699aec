import pytest

from helpers.expressions import (DISPLAY_NAMES, EXPRESSIONS, UnknownExpressionError, expression_name, from_ckplus,
                                 from_rafdb, parse_expression)


def test_canonical_order_is_fer2013():
    assert EXPRESSIONS == ("Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral")


@pytest.mark.parametrize("name,idx", [
    ("Surprise", 5), ("Fear", 2), ("Disgust", 1), ("Happiness", 3), ("Sadness", 4), ("Anger", 0), ("Neutral", 6),
    ("happy", 3), ("SAD", 4), ("Angry", 0), (" surprised ", 5), (3, 3),
])
def test_aliases_are_case_insensitive(name, idx):
    assert parse_expression(name) == idx


def test_display_names_round_trip():
    for idx, name in enumerate(DISPLAY_NAMES):
        assert parse_expression(name) == idx
        assert expression_name(idx, display=True) == name


def test_unknown_name_lists_valid_ones():
    with pytest.raises(UnknownExpressionError) as err:
        parse_expression("Joyful")
    message = str(err.value)
    assert "'Joyful'" in message
    for name in DISPLAY_NAMES:
        assert name in message
    with pytest.raises(UnknownExpressionError):
        parse_expression(7)


def test_rafdb_labels():
    names = ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"]
    assert [from_rafdb(k) for k in range(1, 8)] == [parse_expression(n) for n in names]
    with pytest.raises(UnknownExpressionError):
        from_rafdb(0)


def test_ckplus_folders():
    assert from_ckplus("sadness") == 4 and from_ckplus("Anger") == 0 and from_ckplus("happy") == 3
    with pytest.raises(UnknownExpressionError):
        from_ckplus("contempt")
