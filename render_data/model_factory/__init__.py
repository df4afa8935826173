"""The embedded model's factory: the emoji dataset (sources, sprites, specs, captions, composition), training,
the label judge's training, evaluation and the model card. The chapter data stage never imports this package."""
