"""Small constructs, one per module, with keyword-only props and file-relative assets."""
