"""The committed notebooks' outputs are what a reader should see: no TensorFlow or CUDA log lines,
no Python warnings, no tracebacks, and no paths of the machine that ran them."""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
FORBIDDEN = {
    "a TensorFlow/absl log line": re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|tensorflow/(core|compiler|tsl)/|"
                                             r"oneDNN custom operations|This TensorFlow binary is optimized|"
                                             r"Unable to register cu(DNN|FFT|BLAS)|TF-TRT Warning", re.M),
    "a CUDA message": re.compile(r"cuInit|CUDA_ERROR|cuda_(diagnostics|driver|executor)"),
    "a Python warning": re.compile(r"\b[A-Z]\w*Warning: |warnings\.warn\("),
    "a traceback": re.compile(r"Traceback \(most recent call last\)"),
    "an absolute path of the machine": re.compile(r"(?<![\w.])(/home/|/work/|/tmp/|/root/|/Users/|/content/|/var/folders/|"
                                                  r"[A-Z]:\\Users\\)"),
}


def output_texts(notebook: Path):
    """(cell number, text) of every textual output; images are not read."""
    for number, cell in enumerate(json.loads(notebook.read_text())["cells"]):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                yield number, "Traceback (most recent call last)\n" + "\n".join(output.get("traceback", []))
            texts = [output.get("text", "")] + [output.get("data", {}).get(kind, "") for kind in ("text/plain", "text/html")]
            for text in texts:
                yield number, "".join(text) if isinstance(text, list) else text


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_clean(notebook):
    found = [f"cell {number}: {what}: {pattern.search(text).group(0).strip()!r}"
             for number, text in output_texts(notebook) for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert not found, f"{notebook.name} was committed with outputs a reader should not see:\n" + "\n".join(found)


@pytest.mark.parametrize("text, what", [("E0000 00:00:1700000000.1 123 cuda_executor.cc:1] failed call to cuInit", "a CUDA message"),
                                        ("/usr/lib/python3/x.py:5: UserWarning: careful", "a Python warning"),
                                        ("saved to /tmp/run/model.keras", "an absolute path of the machine"),
                                        ("read C:\\Users\\ana\\fer2013.csv", "an absolute path of the machine"),
                                        ("2025-01-01 I tensorflow/core/util/port.cc:153] oneDNN custom operations are on",
                                         "a TensorFlow/absl log line")])
def test_the_scan_recognises_each_kind(text, what):
    assert FORBIDDEN[what].search(text)
    assert not any(p.search("accuracy 69.24% on checkpoints/recognizer_fer2013.keras") for p in FORBIDDEN.values())
