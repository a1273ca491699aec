"""The training benchmark (``python -m helpers.benchmark``): its timing, its table, why a
measurement failed, what a machine offers, and one real measurement from the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.errors import UserError
from helpers.training import throughput


def test_images_per_second_times_only_the_steps_after_the_warm_up():
    import keras

    model = keras.Sequential([keras.Input((48, 48, 1)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                              keras.layers.Dense(7, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    timer = throughput.StepTimer(warmup=2)
    model.fit(throughput.random_batches(8, one_hot=True), epochs=1, steps_per_epoch=5, callbacks=[timer], verbose=0,
              shuffle=False)
    assert len(timer.times) == 4  # the end of the warm-up, then the three timed steps
    assert np.all(np.diff(timer.times) > 0)
    rate, per_step = throughput.images_per_second(model, throughput.random_batches(8, one_hot=True), 8, 1, 3)
    assert rate > 0 and rate == pytest.approx(8 / per_step)
    with pytest.raises(ValueError):
        throughput.images_per_second(model, throughput.random_batches(8, one_hot=True), 8, 0, 3)


def test_random_batches_are_what_the_trainers_feed():
    faces, labels = next(iter(throughput.random_batches(16, one_hot=False)))
    assert faces.shape == (16, 48, 48, 1) and faces.dtype == "uint8" and labels.dtype == "int32"
    _, one_hot = next(iter(throughput.random_batches(16, one_hot=True)))
    assert one_hot.shape == (16, 7) and np.allclose(np.sum(one_hot, axis=1), 1)


@pytest.mark.slow
@pytest.mark.parametrize("trainer", throughput.TRAINERS)
def test_each_trainer_is_built_by_its_own_builder_from_its_defaults_and_trains(trainer):
    from helpers.training.distribute import ScaleOut

    config = throughput.trainer_config(trainer, ScaleOut())
    model = throughput.build_model(trainer, config)
    if trainer == "deep_emotion":
        assert config.batch_size == 128 and json.loads(config.model_args)["width"] == 64  # the front end's defaults
    before = [w.numpy() for w in model.trainable_weights]
    rate, per_step = throughput.images_per_second(model, throughput.random_batches(4, trainer not in throughput.GANS),
                                                  4, warmup=1, steps=1)
    assert rate > 0 and per_step > 0
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(before, model.trainable_weights))


def test_failure_reasons_are_one_line():
    xla = ("tensorflow.python.framework.errors_impl.InvalidArgumentError: Graph execution error:\n"
           "Detected unsupported operations when trying to compile graph g on XLA_CPU_JIT: ResizeNearestNeighborGrad "
           "(No registered 'ResizeNearestNeighborGrad' OpKernel for XLA_CPU_JIT devices)\n\t [[node]]")
    assert throughput.failure_reason(xla) == "XLA cannot compile ResizeNearestNeighborGrad"
    assert throughput.failure_reason("Traceback\nerror: --jit-compile cannot be used\n") == "--jit-compile cannot be used"
    assert throughput.failure_reason("Traceback (most recent call last):\n  File x\nValueError: shapes differ\n") == \
        "shapes differ"
    assert throughput.failure_reason("Graph\nInvalidArgumentError: Graph execution error:\nOOM when allocating\n") == \
        "Graph execution error: OOM when allocating"
    assert throughput.failure_reason("") is None


def test_the_table_puts_xla_beside_no_xla_and_explains_failures():
    M = throughput.Measurement
    rows = [M("dcgan", "one", "float32", False, 64, 1, 20.0, 3.2), M("dcgan", "one", "float32", True, 64, 1, 30.0, 2.1),
            M("dcgan", "mirrored", "float32", False, 64, 2, 12.0, 5.3),
            M("sngan", "one", "float32", False, 64, 1, 15.0, 4.3),
            M("sngan", "one", "float32", True, error="XLA cannot compile ResizeNearestNeighborGrad")]
    table = throughput.markdown_table(rows).splitlines()
    assert table[2] == "| dcgan | one | float32 | 64 | 20 | 30 | 1.50× |"
    assert table[3] == "| dcgan | mirrored (2 replicas) | float32 | 64 | 12 | refused (see below) |  |"
    assert table[4] == "| sngan | one | float32 | 64 | 15 | fails (1) |  |"
    assert "(1) XLA cannot compile ResizeNearestNeighborGrad" in table
    assert any("keras-team/keras#19005" in line for line in table)


def test_what_a_machine_offers():
    assert throughput.available_strategies(0) == ["one", "mirrored", "multiworker"]  # over logical CPU devices
    assert throughput.available_strategies(1) == ["one", "multiworker"]  # two workers on 127.0.0.1
    assert throughput.available_strategies(4) == ["one", "mirrored", "multiworker"]
    assert throughput.available_precisions(native_bf16=False, gpu_float16=False) == ["float32"]
    assert throughput.available_precisions(native_bf16=True, gpu_float16=False) == ["float32", "mixed_bfloat16"]
    assert throughput.available_precisions(native_bf16=False, gpu_float16=True) == ["float32", "mixed_float16"]


@pytest.mark.parametrize("argv, message", [
    (["--trainers", "vgg"], "--trainers: unknown vgg"),
    (["--strategies", "several"], "--strategies: unknown several"),
    (["--precisions", ""], "--precisions is empty"),
    (["--cpu-devices", "1"], "at least 2"),
])
def test_bad_options_are_refused_with_the_fix(argv, message):
    from helpers.benchmark import parse_args

    with pytest.raises(UserError, match=message):
        parse_args(argv)


@pytest.mark.parametrize("flag", ["--steps", "--warmup-steps"])
def test_step_counts_start_at_one(flag, capsys):
    from helpers.benchmark import parse_args

    with pytest.raises(SystemExit):
        parse_args([flag, "0"])
    assert f"argument {flag}: must be 1 or more, got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_the_command_measures_and_writes_its_rows(tmp_path, run_python):
    """The command runs in the test process; each measurement is still a fresh process (two, the
    workers of a cluster on 127.0.0.1, for multiworker)."""
    out = tmp_path / "rows.json"
    done = run_python(["-m", "helpers.benchmark", "--trainers", "dcgan", "--strategies", "one,multiworker",
                       "--precisions", "float32", "--xla", "off", "--warmup-steps", "1", "--steps", "2", "--out", str(out)])
    assert done.returncode == 0, done.stderr[-3000:]
    one, across = json.loads(out.read_text())
    assert one["trainer"] == "dcgan" and one["batch_size"] == 64 and one["replicas"] == 1 and one["error"] is None
    assert across["strategy"] == "multiworker" and across["replicas"] == 2 and across["error"] is None
    assert one["images_per_s"] > 0 and across["images_per_s"] > 0
    assert "| dcgan | one | float32 | 64 |" in done.stdout and "| dcgan | multiworker (2 replicas) |" in done.stdout
    print(f"\n[benchmark] DCGAN, float32: {one['images_per_s']} images/s on one CPU device, "
          f"{across['images_per_s']} across two workers on 127.0.0.1")


@pytest.mark.slow
def test_the_recognizer_trainer_benchmarks_its_own_recipe(capsys):
    from helpers.train_recognizer import main

    main(["--model", "deep_emotion", "--model-args", '{"width": 8, "fc_width": 16}', "--batch-size", "8",
          "--benchmark", "1"])
    assert "deep_emotion float32 batch 8:" in capsys.readouterr().out
