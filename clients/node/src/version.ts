// The package version: the service's own (Cargo.toml), written by clients/generate.sh.
export const VERSION = "0.1.0";
