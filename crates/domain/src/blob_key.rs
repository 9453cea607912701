use serde::{Deserialize, Serialize};
use std::fmt;

/// A blob's key: `/`-separated segments of `[A-Za-z0-9._-]`, no empty, `.` or
/// `..` segment, at most 512 bytes. Safe as a path below a folder and as an S3 key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{key}” is not a valid blob key: {reason}")]
pub struct BlobKeyError {
    pub key: String,
    pub reason: &'static str,
}

impl BlobKey {
    pub fn parse(raw: &str) -> Result<Self, BlobKeyError> {
        let err = |reason| Err(BlobKeyError { key: raw.chars().take(80).collect(), reason });
        if raw.is_empty() {
            return err("it is empty");
        }
        if raw.len() > 512 {
            return err("it is longer than 512 bytes");
        }
        for seg in raw.split('/') {
            if seg.is_empty() || seg == "." || seg == ".." {
                return err("it has an empty, `.` or `..` segment");
            }
            if !seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
                return err("only letters, digits, `.`, `_`, `-` and `/` are allowed");
            }
        }
        Ok(BlobKey(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Is `prefix` usable to list keys: empty, or a key-shaped prefix (may end in `/`).
pub fn valid_prefix(prefix: &str) -> bool {
    prefix.is_empty() || BlobKey::parse(prefix.trim_end_matches('/')).is_ok()
}

impl TryFrom<String> for BlobKey {
    type Error = BlobKeyError;
    fn try_from(v: String) -> Result<Self, Self::Error> {
        BlobKey::parse(&v)
    }
}

impl From<BlobKey> for String {
    fn from(k: BlobKey) -> Self {
        k.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_keys() {
        for ok in ["a", "datasets/p1/file-1.xlsx", "x/y_z/0.9"] {
            assert!(BlobKey::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_traversal_and_odd_characters() {
        for bad in ["", "/abs", "a//b", "a/../b", "..", "a/./b", "a b", "a\\b", "ä", "a/"] {
            assert!(BlobKey::parse(bad).is_err(), "{bad}");
        }
        assert!(BlobKey::parse(&"a".repeat(513)).is_err());
        assert!(valid_prefix("") && valid_prefix("datasets/") && !valid_prefix("../"));
    }
}
