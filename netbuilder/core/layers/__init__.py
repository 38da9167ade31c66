"""The layer catalog: importing this package registers every layer type.

One module per family; each calls `register(LayerSpec(...))` once per type.
"""

from netbuilder.core.layers import (  # noqa: F401  (imported for registration)
    activation,
    attention,
    blocks,
    conv,
    dense,
    generative,
    io_nodes,
    merge,
    padding,
    pool,
    recurrent,
    regularization,
    reorder,
    reshape,
)
