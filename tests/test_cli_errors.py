"""User errors end with one line on stderr and exit status 2, never a traceback."""
import os
import subprocess
import sys

import pytest

from helpers.cli import run_cli
from helpers.data import REPO_ROOT
from helpers.errors import UserError


def _fails(exc):
    def main(argv):
        raise exc
    return main


@pytest.mark.parametrize("exc", [UserError("bad checkpoint path x"), ValueError])
def test_run_cli_one_line(capsys, exc):
    if exc is ValueError:
        with pytest.raises(ValueError):
            run_cli(_fails(ValueError("programming error")))  # real bugs keep their traceback
        return
    with pytest.raises(SystemExit) as err:
        run_cli(_fails(exc))
    assert err.value.code == 2
    assert capsys.readouterr().err == "error: bad checkpoint path x\n"


@pytest.mark.slow
def test_train_recognizer_missing_data_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "helpers.train_recognizer", "--data", str(tmp_path / "none.csv"),
                           "--run-dir", str(tmp_path / "run"), "--epochs", "1"], capture_output=True, text=True)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "none.csv does not exist" in lines[0] and "Kaggle" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("content,message", [(None, "does not exist"), ("emotion,pixels,Usage\n0,1 2 3,Training\n", "line 2")])
def test_data_cli_errors_are_one_line(tmp_path, content, message):
    path = tmp_path / "fer2013.csv"
    if content is not None:
        path.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "helpers.data", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(path) in errors[0] and message in errors[0]


def test_tensorflow_start_up_notices_are_filtered_and_nothing_else():
    from helpers.quiet_import import without_chatter

    notices = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795969139.252867    2608 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.\n"
        "I0000 00:00:1795969139.444667    2608 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
        "available CPU instructions in performance-critical operations.\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.\n"
        "E0000 00:00:1796157988.609800    7255 cuda_dnn.cc:8310] Unable to register cuDNN factory: Attempting to register "
        "factory for plugin cuDNN when one has already been registered\n"  # TensorFlow 2.18
        "E0000 00:00:1796664791.460294   30488 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
        "Failed call to cuInit: UNKNOWN ERROR (303)\n")  # a CUDA build of TensorFlow without a GPU
    kept = "UserWarning: something the user should see\nE0000 00:00:1.0 12 cudart_stub.cc:31] a real error\n"
    assert without_chatter(notices + kept + notices) == kept


def test_generator_cli_error_is_the_only_line_on_stderr(tmp_path):
    """The whole of stderr is the one error line: TensorFlow's start-up notices are filtered."""
    proc = subprocess.run([sys.executable, "Generative_model/Expression_generator.py", "checkpoints/sngan_fer2013",
                           "Smile", "4", str(tmp_path)], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and proc.stderr.startswith("error: unknown expression 'Smile'")


@pytest.mark.slow
def test_a_training_command_error_is_the_only_line_on_stderr_with_tensorflow_loaded(tmp_path):
    """A trainer imports TensorFlow (and probes for GPUs) before it reads its data: with the log
    level left to the command, its refusal is still the whole of stderr."""
    proc = subprocess.run([sys.executable, "Generative_model/sngan.py", "--data", str(tmp_path / "none.csv"),
                           "--ckpt-dir", str(tmp_path / "run"), "--epochs", "1"], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}, cwd=REPO_ROOT)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and "none.csv does not exist" in proc.stderr
