//! Password rules and argon2id hashing (OWASP: m ≥ 19 MiB, t ≥ 2, p = 1).

use argon2::{password_hash::SaltString, Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_LEN} characters")]
    TooShort,
    #[error("the password must have at most {MAX_LEN} characters")]
    TooLong,
    #[error("this password is too common: choose one that others are unlikely to use")]
    TooCommon,
}

/// Passwords of 12+ characters that are known to be common (see the LICENSE file beside it).
const COMMON: &str = include_str!("common_passwords.txt");

fn is_common(password: &str) -> bool {
    let p = password.to_lowercase();
    COMMON.lines().any(|c| c == p)
}

/// Argon2id cost parameters (from configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        HashCost { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

pub fn check_policy(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        Err(PasswordError::TooShort)
    } else if n > MAX_LEN {
        Err(PasswordError::TooLong)
    } else if is_common(password) {
        Err(PasswordError::TooCommon)
    } else {
        Ok(())
    }
}

fn hasher(cost: HashCost) -> Argon2<'static> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// PHC string (`$argon2id$v=19$m=...`).
pub fn hash(password: &str, cost: HashCost) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    hasher(cost).hash_password(password.as_bytes(), &salt).expect("argon2 hashing cannot fail with valid params").to_string()
}

/// Was `phc` hashed with weaker parameters than `cost` (rehash at login)?
pub fn needs_rehash(phc: &str, cost: HashCost) -> bool {
    let Ok(h) = PasswordHash::new(phc) else { return true };
    let param = |name: &str| h.params.get_decimal(name).unwrap_or(0);
    h.algorithm.as_str() != "argon2id" || param("m") < cost.memory_kib || param("t") < cost.iterations
}

/// Verify against a hash of a password nobody has, so that an unknown
/// account takes as long to reject as a wrong password.
pub fn burn_time(password: &str, cost: HashCost) {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("not a real password, only for timing", cost));
    let _ = verify(password, dummy);
}

/// Constant-time verification against a stored PHC string.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds() {
        assert_eq!(check_policy("short"), Err(PasswordError::TooShort));
        assert_eq!(check_policy(&"x".repeat(129)), Err(PasswordError::TooLong));
        assert!(check_policy("correct horse battery").is_ok());
        assert_eq!(check_policy("1qaz2wsx3edc"), Err(PasswordError::TooCommon));
        assert_eq!(check_policy("1QAZ2WSX3EDC"), Err(PasswordError::TooCommon));
    }

    #[test]
    fn hashes_with_argon2id_and_verifies() {
        let cost = HashCost { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 };
        let h = hash("correct horse battery", cost);
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("x", "not a hash"));
        assert!(!needs_rehash(&h, cost));
        assert!(needs_rehash(&h, HashCost { memory_kib: 32 * 1024, ..cost }));
        assert!(needs_rehash(&h, HashCost { iterations: 3, ..cost }));
    }
}
