"""Everything Qt: the editor and the training dock."""
