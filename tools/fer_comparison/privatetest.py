"""fer's emotion model on FER2013 PrivateTest (3,589 faces), each 48x48 crop given whole as the face.

fer's detect_emotions(img, face_rectangles=[(x, y, w, h)]) squares the box, widens it by
offsets=(10, 10) on every side and crops from a copy of the image padded by 40 pixels; the box
(10, 10, 28, 28) therefore makes the crop exactly the 48x48 image, which is then resized to 64x64
(checked on Training rows in check_box.py). Two configurations, fixed before running:
  A. FER()                  fer's default: quantized TFLite model (use_tflite=True)
  B. FER(use_tflite=False)  the original Keras mini-Xception model (fer/data/emotion_model.hdf5)
The top emotion is the max of fer's returned scores (rounded by fer to 2 decimals, as fer's
top_emotion does); the argmax of the unrounded model output is kept too, as a check.

Run it in a scratch environment that has `pip install fer pandas "setuptools<81"`, never in the
project's own: `FER2013_PATH=... python tools/fer_comparison/privatetest.py` (writes
fer_privatetest.json). It reads PrivateTest: run it once, and choose nothing by it.
"""
import json
import os
import time

import numpy as np
import pandas as pd

from fer.fer import FER

NAMES = ["Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise", "Neutral"]
FER_ID = {"angry": 0, "disgust": 1, "fear": 2, "happy": 3, "sad": 4, "surprise": 5, "neutral": 6}
BOX = (10, 10, 28, 28)

df = pd.read_csv(os.environ["FER2013_PATH"])
test = df[df.Usage == "PrivateTest"].reset_index(drop=True)
assert len(test) == 3589, len(test)
y = test.emotion.to_numpy()
faces = np.stack([np.array(p.split(), dtype=np.uint8).reshape(48, 48) for p in test.pixels])
imgs = [np.ascontiguousarray(np.stack([f] * 3, -1)) for f in faces]
warm = np.stack([np.array(df.pixels[0].split(), dtype=np.uint8).reshape(48, 48)] * 3, -1)  # a Training face
print("PrivateTest per class:", np.bincount(y, minlength=7).tolist(), flush=True)

results = {}
for label, kwargs in [("A. FER() [tflite, default]", {}), ("B. FER(use_tflite=False) [hdf5]", {"use_tflite": False})]:
    det = FER(**kwargs)
    raw = []
    classify = det._classify_emotions  # wrapped, not changed: keeps the unrounded output
    det._classify_emotions = lambda g, c=classify: (lambda out: (raw.append(np.array(out)[0]), out)[1])(c(g))
    det.detect_emotions(warm, face_rectangles=[BOX])  # warm-up (Training face)
    raw.clear()
    pred = np.empty(len(imgs), dtype=int)
    t0 = time.perf_counter()
    for i, img in enumerate(imgs):
        out = det.detect_emotions(img, face_rectangles=[BOX])
        e = out[0]["emotions"]
        pred[i] = FER_ID[max(e, key=e.get)]
    total = time.perf_counter() - t0
    pred_raw = np.argmax(np.stack(raw), axis=1)
    recall = [float(np.mean(pred[y == k] == k)) for k in range(7)]
    recall_raw = [float(np.mean(pred_raw[y == k] == k)) for k in range(7)]
    confusion = np.zeros((7, 7), dtype=int)
    np.add.at(confusion, (y, pred), 1)
    r = dict(accuracy=float(np.mean(pred == y)), macro=float(np.mean(recall)), per_class=dict(zip(NAMES, recall)),
             accuracy_raw_argmax=float(np.mean(pred_raw == y)), macro_raw_argmax=float(np.mean(recall_raw)),
             rounded_vs_raw_disagreements=int(np.sum(pred != pred_raw)), total_s=total, s_per_image=total / len(imgs),
             confusion_rows_true_cols_pred=confusion.tolist())
    results[label] = r
    print(label, json.dumps(r, indent=1), flush=True)

with open("fer_privatetest.json", "w") as f:
    json.dump(results, f, indent=1)
