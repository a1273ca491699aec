"""Can this stack's Keras train with ``fit`` under ``tf.distribute.MultiWorkerMirroredStrategy``?

    python tools/multiworker_probe.py

Starts two workers on 127.0.0.1, each with its ``TF_CONFIG``, and has both fit a one-layer model
for two epochs. Prints the TensorFlow and Keras versions and ``works`` (exit 0) or ``fails`` with
each worker's last error line (exit 1).

On TensorFlow 2.21 with Keras 3.15 (and the older stacks) ``fit`` fails under this strategy
before the first step, for any model (keras-team/keras#20585), so the trainers' ``--strategy
multiworker`` trains through the project's own loop (:mod:`helpers.training.worker_loop`). When
this probe says ``works`` on a stack, ``fit`` could serve there too."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers.training.distribute import local_cluster, tf_config  # noqa: E402  (the tests' and benchmark's cluster)

WORKER = """
import tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()
import keras, numpy as np
with strategy.scope():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile("sgd", "mse")
x, y = np.ones((64, 4), "float32"), np.ones((64, 3), "float32")
model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(16), epochs=2, verbose=0)
print("trained", strategy.num_replicas_in_sync, "replicas")
"""


def main() -> int:
    import keras
    import tensorflow as tf

    workers = local_cluster(2)
    runs = []
    for index in range(2):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
               "TF_CONFIG": tf_config(workers, index)}
        runs.append(subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True))
    outputs = []
    for run in runs:
        try:
            outputs.append(run.communicate(timeout=300)[0])
        except subprocess.TimeoutExpired:
            run.kill()
            outputs.append(run.communicate()[0] + "\n(timed out after 300 s)")
    works = all(run.returncode == 0 for run in runs)
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}: fit under MultiWorkerMirroredStrategy "
          f"{'works' if works else 'fails'}")
    if not works:
        for index, output in enumerate(outputs):
            lines = [line for line in output.splitlines() if line.strip()]
            errors = [line for line in lines if re.match(r"[\w.]*(Error|Exception)\b", line)]
            print(f"  worker {index}: {(errors or lines or ['(no output)'])[-1][:300]}")
    return 0 if works else 1


if __name__ == "__main__":
    sys.exit(main())
