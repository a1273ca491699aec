"""Typed configs: what a trainer takes, as a dataclass whose fields carry their defaults, their
bounds and their documentation; the command line a command parses is built from them, and the
command line that reproduces a config is written from it.

    @config_class
    class Run:
        COMMAND = "Generative_model/run.py"
        epochs: int = option(60, "epochs to train", low=1)
        attention: bool = option(False, "self-attention at 24x24")

A field may hold a group of options (another config class, :func:`group`): its options are added
where the field stands, and records stay flat (:func:`record`). A subclass changes a default
with :func:`default` and keeps the option's documentation. Imports nothing of the project but
:mod:`helpers.arguments`, so the library and the commands both build on it."""
from __future__ import annotations

import argparse
import dataclasses
import shlex
from dataclasses import Field, field, fields, is_dataclass

from helpers.arguments import Bounded


def option(default, doc: str | None = None, *, kind=None, low=None, high=None, low_open: bool = False,
           high_open: bool = False, infinity: bool = False, choices=None, metavar: str | None = None,
           aliases: dict | None = None, recorded: bool = True, flag: str | None = None) -> Field:
    """A config field and the command-line option it is: ``--name-with-dashes`` (or ``flag``).

    A bool is a switch that defaults to off. A number with ``low`` or ``high`` is refused outside
    its range in one line (:class:`helpers.arguments.Bounded`; ``kind`` when the default is None).
    ``aliases`` maps extra switches to the value they set, with their help: ``{"--bf16":
    ("mixed_bfloat16", "...")}``. A field that is not ``recorded`` (a time limit, ``--resume``)
    steers one run and is left out of the command that reproduces it."""
    return field(default=default, metadata={
        "doc": doc, "kind": kind or (type(default) if default is not None else str), "low": low, "high": high,
        "low_open": low_open, "high_open": high_open, "infinity": infinity, "choices": choices, "metavar": metavar,
        "aliases": aliases or {}, "recorded": recorded, "flag": flag})


def group(cls) -> Field:
    """A field that holds a group of options (a config class), each with its default."""
    return field(default_factory=cls, metadata={"group": cls})


def default(value, doc: str | None = None) -> Field:
    """A subclass's own default for an option its base declares, keeping the option's bounds and
    (unless ``doc`` is given) its documentation."""
    return field(default=value, metadata={"inherit": True, "doc": doc})


def config_class(cls):
    """The decorator of a typed config: a keyword-only dataclass, with :func:`default` fields
    completed from the base class that declares them."""
    for name, value in list(vars(cls).items()):
        if isinstance(value, Field) and value.metadata.get("inherit"):
            declared = next(f for base in cls.__mro__[1:] if is_dataclass(base) for f in fields(base) if f.name == name)
            doc = value.metadata["doc"] or declared.metadata["doc"]
            setattr(cls, name, field(default=value.default, metadata={**declared.metadata, "doc": doc}))
    return dataclasses.dataclass(kw_only=True)(cls)


def options(cls) -> list[Field]:
    """The option fields of ``cls`` in command-line order, groups expanded in place."""
    found = []
    for f in fields(cls):
        found += options(f.metadata["group"]) if "group" in f.metadata else [f] if "doc" in f.metadata else []
    return found


def flag_of(f: Field, sep: str = "-") -> str:
    return f.metadata["flag"] or "--" + f.name.replace("_", sep)


def add_options(parser, cls, sep: str = "-") -> None:
    """An argparse option for each field of ``cls`` (``sep`` joins a flag's words)."""
    for f in options(cls):
        meta, flag = f.metadata, flag_of(f, sep)
        if meta["kind"] is bool:
            parser.add_argument(flag, dest=f.name, action="store_true", help=meta["doc"])
        else:
            extra = {"metavar": meta["metavar"]} if meta["metavar"] else {}
            if meta["low"] is not None or meta["high"] is not None:
                bounded = Bounded(meta["kind"], meta["low"], meta["high"], low_open=meta["low_open"],
                                  high_open=meta["high_open"], infinity=meta["infinity"])
                kind, doc = bounded, f"{meta['doc']} ({bounded.span})" if meta["doc"] else bounded.span
            else:
                kind, doc = meta["kind"], meta["doc"]
            parser.add_argument(flag, dest=f.name, type=kind, default=f.default, choices=meta["choices"], help=doc,
                                **extra)
        for alias, (value, doc) in meta["aliases"].items():
            parser.add_argument(alias, dest=f.name, action="store_const", const=value, help=doc)


def from_flat(cls, values: dict):
    """A ``cls`` from a flat mapping of option names (a parsed namespace's ``vars``, a
    recorded ``train_args``); names it does not know are ignored, missing ones take their defaults."""
    kwargs = {}
    for f in fields(cls):
        if "group" in f.metadata:
            kwargs[f.name] = from_flat(f.metadata["group"], values)
        elif f.init and f.name in values:
            kwargs[f.name] = values[f.name]
    return cls(**kwargs)


def record(cfg) -> dict:
    """``cfg`` as a flat ``{option: value}`` mapping, groups expanded (what a release records)."""
    flat = {}
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if "group" in f.metadata:
            flat.update(record(value))
        elif "doc" in f.metadata:
            flat[f.name] = value
    return flat


def parse_config(cls, argv: list[str], sep: str = "-"):
    """A ``cls`` from a command line of its options only (a recorded command's arguments)."""
    parser = StrictParser(add_help=False, allow_abbrev=False)
    add_options(parser, cls, sep)
    return from_flat(cls, vars(parser.parse_args(argv)))


class StrictParser(argparse.ArgumentParser):
    """A parser that raises ``ValueError`` on arguments it cannot read, instead of exiting."""

    def error(self, message):
        raise ValueError(message)


def command_for(cfg, sep: str = "-") -> str:
    """The command that reproduces ``cfg``: its class's ``COMMAND`` with every recorded option
    that differs from its default."""
    words, values = ["python", *cfg.COMMAND.split()], record(cfg)
    for f in options(type(cfg)):
        value = values[f.name]
        if not f.metadata["recorded"] or value == f.default:
            continue
        alias = next((name for name, (const, _) in f.metadata["aliases"].items() if const == value), None)
        if alias or f.metadata["kind"] is bool:
            words.append(alias or flag_of(f, sep))
        else:
            words += [flag_of(f, sep), str(value)]
    return shlex.join(words)


def replace(cfg, **changes):
    """``cfg`` with options changed by name, wherever they stand (in a group or not)."""
    own = {k: v for k, v in changes.items() if k in {f.name for f in fields(cfg)}}
    for g in fields(cfg):
        if "group" in g.metadata:
            inner = {k: v for k, v in changes.items() if k in {o.name for o in options(g.metadata["group"])}}
            if inner:
                own[g.name] = replace(getattr(cfg, g.name), **inner)
    if unknown := set(changes) - {o.name for o in options(type(cfg))} - {f.name for f in fields(cfg)}:
        raise TypeError(f"{type(cfg).__name__} has no option {', '.join(sorted(unknown))}")
    return dataclasses.replace(cfg, **own)
