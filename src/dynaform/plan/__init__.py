"""Planning: pure diff of declared vs live tables, step ordering and rendering."""
