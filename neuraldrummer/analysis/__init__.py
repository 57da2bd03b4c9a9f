"""The song on its own clock: grid, form, features, drums as arrays.

From a loaded MIDI file to the arrays every later stage uses. No Keras, no TensorFlow.

* :mod:`.grid` -- the step grid from the tempo map and meters, and whether it fits the notes;
* :mod:`.structure` -- sections and repeats from a bar-level self-similarity matrix;
* :mod:`.features` -- the per-step song features ``(T, F)``;
* :mod:`.feature_policy` -- which features a no-song condition blanks;
* :mod:`.drum_map` -- the 18-class drum kit, its General MIDI pitches and the fold to nine;
* :mod:`.drums` -- drums as ``(T, C)`` hit, velocity and timing arrays, encode and decode;
* :mod:`.song` -- a whole song encoded (grid, features, drums, form) and the drummed song written;
* :mod:`.text_roll`, :mod:`.roll_midi` -- the text drum-roll and its MIDI.
"""
