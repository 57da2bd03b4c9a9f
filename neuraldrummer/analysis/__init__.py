"""The song on its grid: form, features, drums as arrays, and the drummed song written.

From a loaded MIDI file and its grid (:mod:`neuraldrummer.beats`) to the arrays every later stage uses. No
Keras, no TensorFlow.

* :mod:`.structure` -- sections and repeats from a bar-level self-similarity matrix;
* :mod:`.features` -- the per-step song features ``(T, F)``;
* :mod:`.feature_policy` -- which features a no-song condition blanks;
* :mod:`.drum_map` -- the 18-class drum kit, its General MIDI pitches and the fold to nine;
* :mod:`.drums` -- drums as ``(T, C)`` hit, velocity and timing arrays, encode and decode;
* :mod:`.song` -- a whole song encoded: which grid and why, features, drums, form;
* :mod:`.writing` -- the drummed song written: the drum track, combined or spliced into the file;
* :mod:`.text_roll`, :mod:`.roll_midi` -- the text drum-roll and its MIDI.
"""
