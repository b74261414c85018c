"""The package version: the service's own (Cargo.toml), written by clients/generate.sh."""

__version__ = "0.1.0"
