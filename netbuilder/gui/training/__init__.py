"""Training dock: controls, live pyqtgraph plots, and views of what the network learned."""
