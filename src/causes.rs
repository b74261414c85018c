//! An error and its causes as the one line a user reads: each said once. Errors quote their
//! cause in their own message more often than not ("cannot bind: Address already in use"), so
//! writing out the whole chain of causes after it would say the same thing twice.

use std::error::Error;

/// `error` and its causes in one line, `: ` between them; a cause whose words the line already
/// holds is not repeated.
pub fn one_line(error: &dyn Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line = format!("{line}: {text}");
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("--listen 127.0.0.1:1: cannot bind: {0}")]
    struct Quoting(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("starting the server")]
    struct Silent(#[source] std::io::Error);

    fn in_use() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use")
    }

    #[test]
    fn a_cause_is_said_once() {
        assert_eq!(
            one_line(&Quoting(in_use())),
            "--listen 127.0.0.1:1: cannot bind: Address already in use"
        );
        assert_eq!(
            one_line(&Silent(in_use())),
            "starting the server: Address already in use"
        );
    }
}
