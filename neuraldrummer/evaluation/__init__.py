"""Measuring the drummer against human drummers and baselines.

* :mod:`.metrics` -- statistics of drum parts and the follow-the-song measures;
* :mod:`.evaluate` -- every system on the songs of a split, tables and reports;
* :mod:`.groove` -- drums and tracked beats against annotated beats and downbeats;
* :mod:`.baselines`, :mod:`.baselines_train` -- the original design and a rule-based drummer;
* :mod:`.plotting` -- drum rolls and training curves (matplotlib);
* :mod:`.model_card` -- a model's README from its training files.
"""
