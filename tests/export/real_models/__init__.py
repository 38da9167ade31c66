"""Re-implementations, in the style of public model code, that `netbuilder import` must take exactly."""
