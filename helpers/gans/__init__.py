"""One ``keras.Model`` subclass per GAN over a shared base (:mod:`.adversarial`), their losses
(:mod:`.losses`) and DiffAugment (:mod:`.augment`)."""
from helpers.quiet_import import import_tensorflow_quietly

import_tensorflow_quietly()  # before Keras: TensorFlow's start-up notices stay out of stderr
