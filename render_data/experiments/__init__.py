"""One experiment per chapter, named like the chapter (``01_possible_images.py``).

Each module defines ``CONFIG`` (a JSON-able dict: its hash decides when the data is stale),
``USES_MODEL`` (whether the model's identity belongs in the manifest) and
``run(out, config, model)`` which writes facts and arrays through ``out`` (an ArtifactWriter).
"""
