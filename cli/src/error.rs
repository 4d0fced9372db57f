use thiserror::Error;

/// A command failure: one line for the operator, and the process exit code.
#[derive(Debug, Error)]
pub enum CliError {
    /// Bad input: exit code 2.
    #[error("{0}")]
    Input(String),
    /// The input was read and checked, and a check failed: exit code 1.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Refused(_) | CliError::Io(_) => 1,
        }
    }

    pub fn input(field: &str, what: impl std::fmt::Display) -> Self {
        CliError::Input(format!("{field}: {what}"))
    }
}
