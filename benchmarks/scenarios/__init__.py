"""One module per scenario; `base` holds what they share (databases, figures, the request)."""
