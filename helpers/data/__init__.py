"""Faces as uint8 arrays: FER2013 and the other dataset layouts (:mod:`.fer2013`), image files
(:mod:`.images`), audits (:mod:`.audit`), tf.data pipelines (:mod:`.pipelines`), synthetic faces
with known factors (:mod:`.synthetic`) and faces found in photos (:mod:`.faces`).

The loader's API is re-exported here: ``from helpers.data import load_dataset``."""
from helpers.data.fer2013 import (DATA_DIR, DATA_HELP, DOWNLOAD_HELP, FER_USAGES, IMAGE_SIZE, NUM_PIXELS, REPO_ROOT,  # noqa: F401
                                  UNLABELED, Splits, array_fingerprint, cache_dir, default_fer2013_path,
                                  find_fer2013, load_challenge_pair, load_dataset, load_fer_csv,
                                  load_image_folders, load_rafdb, read_image, write_cache)
