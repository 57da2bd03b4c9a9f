"""Corpus, dataset, Keras model and training.

* :mod:`.sources` -- MIDI files in folders and archives, their sources, GMD's labels, splits;
* :mod:`.corpus` -- tokenise them into a memory-mapped corpus (no Keras);
* :mod:`.loops` -- normalise and recombine drum loops (no Keras);
* :mod:`.dataset` -- training windows as a ``tf.data`` pipeline;
* :mod:`.model` -- the look-ahead encoder and LSTM decoder in Keras;
* :mod:`.train` -- the fault-tolerant training loop;
* :mod:`.export` -- the trained weights as one ``weights.npz`` for the numpy runtime.

Only :mod:`.dataset`, :mod:`.model`, :mod:`.train` and :mod:`.export` need TensorFlow, and they
import it themselves: importing this package does not.
"""
