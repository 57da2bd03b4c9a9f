"""Drumming a song with the trained weights, in numpy (no TensorFlow).

* :mod:`.runtime` -- the LSTM stepped one grid step at a time, carrying its state;
* :mod:`.settings` -- :class:`GenerationSettings`, the decoding and control options;
* :mod:`.patterns` -- start patterns and style grooves that prime the drummer;
* :mod:`.sampling` -- stepping and sampling candidate bars (with style guidance);
* :mod:`.takes` -- scoring candidate bars: user controls and following the song;
* :mod:`.decoding` -- :func:`generate`: a whole song bar by bar, re-rolling a range;
* :mod:`.feel` -- the drums' micro-timing fitted to the song's own feel;
* :mod:`.drumming` -- the jobs a user runs: drum a song file, re-roll bars;
* :mod:`.continuation` -- continue a drum groove;
* :mod:`.batch` -- many songs on all cores.
"""
