"""Typed configs (:mod:`helpers.options`): a trainer's options as a dataclass, the command line
parsed into it and the command line written from it."""
import argparse
import shlex
from typing import ClassVar

import pytest

from helpers.options import (add_options, command_for, config_class, default, from_flat, group, option, options,
                             parse_config, record, replace)
from helpers.training.deep_emotion import DeepEmotionConfig
from helpers.training.recipes import CONFIGS


@config_class
class Inner:
    size: int = option(3, "a size", low=1, high=9)
    precision: str = option("float32", "a precision", choices=("float32", "bf16"),
                            aliases={"--half": ("bf16", "the same as --precision bf16")})


@config_class
class Outer:
    COMMAND: ClassVar[str] = "-m helpers.example"
    name: str = option("a", "a name")
    inner: Inner = group(Inner)
    rate: float | None = option(None, "a rate", kind=float, low=0, low_open=True)
    steer: bool = option(False, "steers one run", recorded=False)


@config_class
class Child(Outer):
    name: str = default("b")


def parser_for(cls, sep="-"):
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_options(parser, cls, sep)
    return parser


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_every_trainer_parses_to_its_own_defaults_and_its_flags_are_unique(cls):
    sep = "_" if cls is DeepEmotionConfig else "-"
    assert parse_config(cls, [], sep) == cls()
    names = [f.name for f in options(cls)]
    assert len(names) == len(set(names)) and set(record(cls())) == set(names)


def test_a_config_round_trips_through_the_command_it_writes():
    config = Outer(name="two words", inner=Inner(size=5, precision="bf16"), rate=0.5, steer=True)
    command = command_for(config)
    assert command == "python -m helpers.example --name 'two words' --size 5 --half --rate 0.5"
    assert parse_config(Outer, shlex.split(command)[3:]) == replace(config, steer=False)  # steering is no recipe
    assert command_for(Outer()) == "python -m helpers.example"


def test_groups_stand_in_place_and_records_are_flat():
    assert [f.name for f in options(Outer)] == ["name", "size", "precision", "rate", "steer"]
    assert record(Outer()) == {"name": "a", "size": 3, "precision": "float32", "rate": None, "steer": False}
    assert from_flat(Outer, {"size": 7, "unknown": 1}) == Outer(inner=Inner(size=7))
    assert replace(Outer(), size=2, name="c") == Outer(name="c", inner=Inner(size=2))
    with pytest.raises(TypeError, match="no option sise"):
        replace(Outer(), sise=2)


def test_a_subclass_changes_a_default_and_keeps_the_documentation_and_the_bounds():
    assert Child().name == "b" and parse_config(Child, []).name == "b"
    (name,) = [f for f in options(Child) if f.name == "name"]
    assert name.metadata["doc"] == "a name"
    assert "a name" in parser_for(Child).format_help()
    with pytest.raises(argparse.ArgumentError, match="must be 1 to 9, got 0"):
        parser_for(Child).parse_args(["--size", "0"])
    with pytest.raises(argparse.ArgumentError, match="must be above 0, got 0"):
        parser_for(Child).parse_args(["--rate", "0"])


def test_a_recorded_command_with_an_option_no_longer_offered_is_refused():
    with pytest.raises(ValueError, match="unrecognized arguments: --gone"):
        parse_config(Outer, ["--gone", "1"])
    with pytest.raises(ValueError, match="invalid choice"):
        parse_config(Outer, ["--precision", "float8"])


def test_the_separator_spells_every_flag_of_a_front_end():
    flags = {a.option_strings[0] for a in parser_for(DeepEmotionConfig, "_")._actions if a.option_strings}
    assert {"--learning_rate", "--jit_compile", "--cpu_devices", "--time_limit", "--bf16"} <= flags
    assert not {f for f in flags if "-" in f[2:]}
