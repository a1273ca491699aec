"""Training: each trainer takes a typed config and returns its release. The Keras callbacks every
trainer uses (:mod:`.callbacks`), the one GAN pipeline (:mod:`.gan_pipeline`) with each GAN's
differences (:mod:`.sngan`, :mod:`.cwgan`, :mod:`.dcgan`, :mod:`.ccyclegan`), the recognizers
(:mod:`.recognizer`, and the Deep-Emotion front end :mod:`.deep_emotion`), expression codes
(:mod:`.representations`), recorded recipes replayed (:mod:`.recipes`), where and in what
precision to train (:mod:`.distribute`, :mod:`.precision`), the throughput benchmark and
batch-norm recalibration."""
from helpers.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()  # before Keras: TensorFlow's start-up notices stay out of stderr

