"""MIDI in and out, audio out, and the bundled demo song.

The first stage and the last: reading a file into a :class:`~neuraldrummer.io.midi.LoadedMidi`
(with a one-line error for anything that is not a readable song), writing files atomically beside
their target, rendering a song to audio. Nothing here knows about grids, drums or models.

* :mod:`.midi` -- load, parse, serialise and atomically write MIDI;
* :mod:`.audio` -- render a song to WAV/FLAC/Ogg/MP3 (TinySoundFont or FluidSynth);
* :mod:`.demo` -- the bundled demo song.
"""
