"""Training: the Keras callbacks every trainer uses (:mod:`.callbacks`), the one GAN pipeline
(:mod:`.gan_pipeline`) with each GAN's differences (:mod:`.cwgan`, :mod:`.dcgan`, :mod:`.ccyclegan`),
the recognizers (:mod:`.recognizer`), expression codes (:mod:`.representations`), precision and
batch-norm recalibration."""
from helpers.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()  # before Keras: TensorFlow's start-up notices stay out of stderr

