"""Services: verb-named functions that change state. They flush; the caller commits."""
