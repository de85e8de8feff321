"""Subcommands of the ``rbtui`` command line, one module each.

A command module exposes ``add_parser(subparsers)``, which registers its
parser and sets ``handler`` (a function ``(args) -> int``, the exit status)
with ``set_defaults``. ``rbtui.cli.COMMANDS`` lists the modules in help order.
"""
