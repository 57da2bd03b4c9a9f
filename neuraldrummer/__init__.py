"""NeuralDrummer: an LSTM drummer that plays along with a whole multi-instrument song.

The package reads as the data flows: ``midi_io`` -> ``grid`` -> ``features`` ->
``drums`` -> ``song`` -> ``corpus`` -> (``dataset``, ``model``, ``train``: Keras) ->
``runtime`` and ``generate`` (numpy only) -> ``cli``.
"""

__version__ = "0.1.0"
