"""Ordering's use cases: one transaction each (load -> call the domain -> save
-> add the event), the entity taken from the token."""
