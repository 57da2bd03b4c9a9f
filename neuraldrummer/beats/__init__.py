"""The song's clock: its beats and bars, and the step grid laid on them.

From a loaded MIDI file to the grid every later stage counts in: the file's own tempo map and meters where
they fit the notes, else beats and bars found in the music (songs played by hand, recordings). No Keras, no
TensorFlow.

* :mod:`.grid` -- the step grid from the tempo map and meters, or from given beats and bars;
* :mod:`.tempo` -- the steady tempo and 16th phase that line a song's onsets up best;
* :mod:`.beat` -- beats found in the notes (the file's map shifted, a constant tempo, a beat tracker);
* :mod:`.meter` -- bars found in the notes (downbeat evidence and a Viterbi over the bar position);
* :mod:`.beat_level` -- of the beats found, doubled or halved, the pulse a listener taps;
* :mod:`.beat_source` -- which beats a song is drummed on where its file's grid will not do, and at which level.
"""
