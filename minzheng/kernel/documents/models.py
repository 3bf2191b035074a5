"""Tables of the documents kernel."""
