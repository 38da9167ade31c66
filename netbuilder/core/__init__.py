"""The model of a network: layers, shapes, compile, file format. Never imports Qt."""
