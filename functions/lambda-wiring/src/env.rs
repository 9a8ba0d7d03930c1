//! Environment variables of the functions, read over a lookup so tests pass a map instead of
//! mutating the process environment. A blank value counts as unset everywhere: the SAM
//! template passes optional parameters through as empty strings.

use std::collections::HashMap;
use std::time::Duration;

use crate::error::ConfigError;

/// Finds the value of one variable by name.
type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where configuration values come from: the process environment on Lambda, a map in tests.
pub struct Env {
    lookup: Lookup,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets or whole configurations; never print them.
        f.write_str("Env")
    }
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Any lookup (a closure over a map, another source...).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            lookup: Box::new(lookup),
        }
    }

    /// Exactly these variables and no others.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let values: HashMap<String, String> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Self::from_lookup(move |name| values.get(name).cloned())
    }

    /// The value of `name`, or `None` when it is unset or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    /// The value of `name`; fails naming it when unset or blank.
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name).ok_or_else(|| ConfigError::Missing {
            name: name.to_string(),
        })
    }

    /// A whole number of seconds from `name`, or `default_secs` when unset.
    pub fn secs(&self, name: &str, default_secs: u64) -> Result<Duration, ConfigError> {
        let secs = match self.optional(name) {
            None => default_secs,
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| ConfigError::NotWholeSeconds {
                    name: name.to_string(),
                    value,
                })?,
        };
        Ok(Duration::from_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_required_variable_missing_or_blank_should_name_it() {
        let env = Env::from_pairs(&[("FRAMEWISE_BLANK", "  ")]);
        for name in ["FRAMEWISE_UNSET", "FRAMEWISE_BLANK"] {
            let message = env.required(name).expect_err("missing").to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains("must be set"), "{message}");
        }
        assert_eq!(env.optional("FRAMEWISE_BLANK"), None);
    }

    #[test]
    fn when_seconds_not_whole_should_name_variable_and_value() {
        let env = Env::from_pairs(&[("FRAMEWISE_X_SECS", "1.5"), ("FRAMEWISE_Y_SECS", "-3")]);
        for (name, value) in [("FRAMEWISE_X_SECS", "1.5"), ("FRAMEWISE_Y_SECS", "-3")] {
            let error = env.secs(name, 60).expect_err("not whole seconds");
            let message = error.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains("whole number of seconds"), "{message}");
            assert!(message.contains(&format!("'{value}'")), "{message}");
        }
    }

    #[test]
    fn when_seconds_unset_or_padded_should_default_or_trim() {
        let env = Env::from_pairs(&[("FRAMEWISE_X_SECS", " 45 "), ("FRAMEWISE_Y_SECS", "")]);
        assert_eq!(
            env.secs("FRAMEWISE_X_SECS", 60).expect("45"),
            Duration::from_secs(45)
        );
        assert_eq!(
            env.secs("FRAMEWISE_Y_SECS", 60).expect("default"),
            Duration::from_secs(60)
        );
        assert_eq!(
            env.secs("FRAMEWISE_Z_SECS", 30).expect("default"),
            Duration::from_secs(30)
        );
    }
}
