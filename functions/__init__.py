"""todomesh: the code of every app and the plumbing they share."""
