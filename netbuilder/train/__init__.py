"""Training engine: datasets, losses, trainer, runner. Never imports Qt.

    data.py / builtin_data.py / file_data.py / image_files.py   datasets, offline
    batches.py      split, standardisation, index batches on the device
    losses.py       loss terms (regularizers.py: the contractive penalty; rbm.py: CD-k;
                    loss_defaults.py: term names and default terms, without torch)
    settings.py     the `training` block's schema, defaults and checks
    setup.py        model + data + loss + optimizer for one run
    trainer.py      the loop, yielding events.py dataclasses
    metrics.py, samples.py, stopping.py, optim.py, checkpoint.py, subgraph.py
    runner.py       the loop in a spawned child process (what the GUI uses)
    distributed.py  DDP under torchrun

Importing this package (and runner.py, settings.py, events.py, data.py,
loss_defaults.py) does not import torch.
"""
