"""One module per `chronicle` subcommand; see engine/cli.py."""
