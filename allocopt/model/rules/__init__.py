"""One module per rule family; each `define_*` returns a `RowBlock` (empty when the
instance has nothing for that rule)."""
