"""Custom widgets of the workbench."""
