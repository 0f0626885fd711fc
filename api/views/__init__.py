"""One module per resource; each view parses, calls one service or selector, renders."""
