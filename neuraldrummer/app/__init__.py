"""What a musician touches: the command line and the drum studio page.

* :mod:`.cli` -- ``neuraldrummer`` and its small commands;
* :mod:`.cli_drum` -- ``drum`` (songs, recordings, folders) and ``continue``;
* :mod:`.cli_tools` -- the loop tools, ``app``, ``models`` and ``styles``;
* :mod:`.cli_model` -- ``train``, ``evaluate``, ``validate`` and the other model commands;
* :mod:`.studio` -- the ipywidgets drum studio of the notebook and the page.
"""
