"""Reading the software catalog: sources (I/O), parsing and validation (pure), and the model."""
