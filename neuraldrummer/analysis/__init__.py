"""The song on its own clock: grid, form, features, drums as arrays.

From a loaded MIDI file to the arrays every later stage uses. No Keras, no TensorFlow.

* :mod:`.grid` -- the step grid from the tempo map and meters, or from given beats and bars;
* :mod:`.tempo` -- the steady tempo and 16th phase that line a song's onsets up best;
* :mod:`.beat` -- beats found in the notes (the file's map shifted, a constant tempo, a beat tracker);
* :mod:`.meter` -- bars found in the notes (downbeat evidence and a Viterbi over the bar position);
* :mod:`.beat_level` -- of the beats found, doubled or halved, the pulse a listener taps;
* :mod:`.beat_source` -- which beats a song is drummed on where its file's grid will not do, and at which level;
* :mod:`.structure` -- sections and repeats from a bar-level self-similarity matrix;
* :mod:`.features` -- the per-step song features ``(T, F)``;
* :mod:`.feature_policy` -- which features a no-song condition blanks;
* :mod:`.drum_map` -- the 18-class drum kit, its General MIDI pitches and the fold to nine;
* :mod:`.drums` -- drums as ``(T, C)`` hit, velocity and timing arrays, encode and decode;
* :mod:`.song` -- a whole song encoded: which grid and why, features, drums, form;
* :mod:`.writing` -- the drummed song written: the drum track, combined or spliced into the file;
* :mod:`.text_roll`, :mod:`.roll_midi` -- the text drum-roll and its MIDI.
"""
