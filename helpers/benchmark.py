r"""Training throughput, in images per second, of every trainer under each strategy, precision and
XLA setting this machine offers.

    python -m helpers.benchmark                                  # all of them, XLA off and on
    python -m helpers.benchmark --trainers dcgan,sngan --xla off --steps 20
    python -m helpers.benchmark --precisions float32,mixed_bfloat16 --out runs/benchmark.json

By default it measures each trainer (the FER-native VGG, Deep-Emotion, the cWGAN-GP, the DCGAN,
the CCycleGAN and the projection cGAN) with its own default options:
- under ``one`` device, and ``mirrored`` where there is something to mirror: 2+ GPUs or, on a
  machine without GPUs, ``--cpu-devices`` logical CPU devices, which share the cores and so show
  what mirroring costs;
- in float32, and in each mixed precision the hardware runs natively (``mixed_float16`` on a GPU
  with float16 tensor cores, ``mixed_bfloat16`` on an Ampere-or-newer GPU or an AMX/AVX512_BF16 CPU);
- under ``multiworker``: two worker processes of one cluster on this machine, talking over
  127.0.0.1 (a network between machines changes the figure), trained by the project's loop;
- without and with XLA (``--jit-compile``), which Keras cannot use across replicas (see
  ``helpers.training.distribute``).

Each measurement is a fresh process: the model built by its trainer's own builder, on random
faces, ``--warmup-steps`` untimed steps (tracing, XLA compilation), then ``--steps`` timed ones.
An image is a face of the global batch. The table goes to standard output as Markdown, each row
as it is measured; ``--out`` also writes the rows as JSON."""
from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from helpers.arguments import number
from helpers.cli import command_parser, run_cli
from helpers.errors import UserError
from helpers.files import check_output_file, write_json


def choices(text: str, allowed, option: str) -> list[str]:
    """A comma list of ``allowed`` names; an unknown one is a :class:`UserError`."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if unknown := [n for n in names if n not in allowed]:
        raise UserError(f"{option}: unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
    if not names:
        raise UserError(f"{option} is empty; choose from {', '.join(allowed)}")
    return names


def parse_args(argv=None):
    from helpers.training.throughput import TRAINERS
    from helpers.training.distribute import STRATEGIES
    from helpers.training.precision import PRECISIONS

    p = command_parser(__doc__, prog="python -m helpers.benchmark")
    p.add_argument("--trainers", default=",".join(TRAINERS), help=f"a comma list of {', '.join(TRAINERS)}")
    p.add_argument("--strategies", default=None,
                   help="a comma list of one, mirrored, multiworker (default: those this machine offers)")
    p.add_argument("--precisions", default=None,
                   help="a comma list of float32, mixed_float16, mixed_bfloat16 (default: float32 and the "
                        "mixed precisions this machine runs natively; others are emulated, and slow)")
    p.add_argument("--xla", choices=("off", "on", "both"), default="both", help="measure without XLA, with it, or both")
    number(p, "--warmup-steps", kind=int, low=1, default=3, help="untimed steps first (tracing, compilation)")
    number(p, "--steps", kind=int, low=1, default=10, help="timed steps")
    number(p, "--cpu-devices", kind=int, low=1, high=256, default=2, metavar="N",
                   help="logical CPU devices that --strategies mirrored spreads over on a machine without GPUs")
    number(p, "--timeout", kind=float, low=0, low_open=True, default=1800, metavar="SECONDS", help="give up on one measurement after this")
    p.add_argument("--out", metavar="JSON", help="also write the rows here (a new file)")
    p.add_argument("--overwrite", action="store_true", help="replace the --out file if it exists")
    args = p.parse_args(argv)
    args.trainers = choices(args.trainers, TRAINERS, "--trainers")
    if args.strategies is not None:
        args.strategies = choices(args.strategies, [s for s in STRATEGIES if s != "auto"], "--strategies")
    if args.precisions is not None:
        args.precisions = choices(args.precisions, [s for s in PRECISIONS if s != "auto"], "--precisions")
    if args.cpu_devices < 2:
        raise UserError(f"--cpu-devices must be at least 2 to mirror, got {args.cpu_devices}")
    if args.out:
        check_output_file(args.out, args.overwrite, "--out")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    from helpers.training import throughput

    strategies, precisions, gpus = throughput.machine_offers()
    strategies = args.strategies or strategies
    precisions = args.precisions or precisions
    xla = {"off": [False], "on": [True], "both": [False, True]}[args.xla]
    cpu_devices = 0 if gpus else args.cpu_devices
    plan = [(t, s, p, x) for t in args.trainers for s in strategies for p in precisions for x in xla
            if not (x and s in ("mirrored", "multiworker"))]  # refused: see helpers.training.distribute.NO_XLA_ACROSS_REPLICAS
    print(f"{len(plan)} measurements: {args.warmup_steps} warm-up and {args.steps} timed steps each, "
          f"{gpus} GPU(s){'' if gpus else f', mirrored over {cpu_devices} logical CPU devices'}", flush=True)
    rows = []
    for i, (trainer, strategy, precision, on) in enumerate(plan, 1):
        row = throughput.measure_in_subprocess(trainer, strategy, precision, on, cpu_devices, args.warmup_steps,
                                              args.steps, args.timeout)
        rows.append(row)
        result = f"{row.images_per_s:g} images/s" if row.error is None else f"fails: {row.error}"
        print(f"[{i}/{len(plan)}] {trainer} {strategy} {precision} XLA {'on' if on else 'off'}: {result}", flush=True)
        if args.out:  # after every row, so that a stopped run keeps what it measured
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            write_json(args.out, [asdict(r) for r in rows], indent=1)
    print()
    print(throughput.markdown_table(rows))


if __name__ == "__main__":
    run_cli(main, sys.argv[1:])
