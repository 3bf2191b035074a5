"""Tables of the payments kernel."""
