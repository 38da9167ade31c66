"""Training engine: datasets, losses, trainer, runner. Never imports Qt."""
