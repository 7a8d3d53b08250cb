"""Exporting the compiled story for other runtimes: versioned JSON, and a static web site."""
