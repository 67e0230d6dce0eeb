//! Error types of this crate.

use thiserror::Error;

/// A value was rejected by a validator; the observable was left unchanged.
///
/// ```
/// let err = traits_core::ValidationError::new("must be positive");
/// assert_eq!(err.reason(), "must be positive");
/// assert_eq!(err.to_string(), "value rejected: must be positive");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("value rejected: {reason}")]
pub struct ValidationError {
    reason: String,
}

impl ValidationError {
    /// Creates an error that explains why a value was rejected.
    ///
    /// ```
    /// let err = traits_core::ValidationError::new(format!("{} is too large", 300));
    /// assert!(err.to_string().contains("300"));
    /// ```
    pub fn new(reason: impl Into<String>) -> Self {
        ValidationError {
            reason: reason.into(),
        }
    }

    /// Why the value was rejected.
    ///
    /// ```
    /// assert_eq!(traits_core::ValidationError::new("odd").reason(), "odd");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
