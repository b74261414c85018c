// Code written by clients/generate.sh. DO NOT EDIT.

package phonecheck

// Version is the module's release: the service's own (Cargo.toml), sent in the user agent.
const Version = "0.1.0"
