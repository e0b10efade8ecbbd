"""The run directory: its layout, the journal and its typed record, the manifest, the inputs' identity."""
