"""Tables of the workflow kernel."""
