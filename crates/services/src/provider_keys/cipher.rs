//! AES-256-GCM for provider keys at rest.
//!
//! A stored blob is `version (1) ‖ master key fingerprint (8) ‖ nonce (12) ‖ ciphertext+tag`.
//! The fingerprint tells rotation which master key encrypted a row; the associated data binds
//! the header, the project id and the key id, so a ciphertext copied to another row (or
//! another project) does not decrypt.

use aes_gcm::{
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
    Aes256Gcm, Key, Nonce,
};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const FINGERPRINT_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 1 + FINGERPRINT_LEN + NONCE_LEN;

/// Why a master key from the configuration was refused (never contains the key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterKeyError {
    #[error("the master key is empty")]
    Empty,
    #[error("the master key must be 32 bytes written as base64 (44 characters) or hex (64 characters)")]
    Malformed,
}

/// Why a stored key could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("the stored key is not in a format this server knows")]
    Malformed,
    #[error("the stored key was encrypted under another master key")]
    OtherMasterKey,
    #[error("the stored key does not belong to this row or was altered")]
    Tampered,
}

/// Encrypts and decrypts stored provider keys under the master key.
pub struct KeyCipher {
    aead: Aes256Gcm,
    fingerprint: [u8; FINGERPRINT_LEN],
}

impl std::fmt::Debug for KeyCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyCipher(fingerprint {})", self.fingerprint())
    }
}

impl KeyCipher {
    pub fn new(master_key: [u8; 32]) -> Self {
        let digest = Sha256::new().chain_update(b"elasticdash master key fingerprint v1\0").chain_update(master_key).finalize();
        let mut fingerprint = [0u8; FINGERPRINT_LEN];
        fingerprint.copy_from_slice(&digest[..FINGERPRINT_LEN]);
        KeyCipher { aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&master_key)), fingerprint }
    }

    /// A master key as configured: 32 bytes in base64 (standard or URL-safe, padded or not)
    /// or in hex. Surrounding whitespace is ignored.
    pub fn from_encoded(text: &str) -> Result<Self, MasterKeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MasterKeyError::Empty);
        }
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16)).collect::<Result<Vec<u8>, _>>().ok()
        } else {
            let unpadded = text.trim_end_matches('=');
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(unpadded)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(unpadded))
                .ok()
        };
        let key: [u8; 32] = bytes.and_then(|b| b.try_into().ok()).ok_or(MasterKeyError::Malformed)?;
        Ok(KeyCipher::new(key))
    }

    /// A new random master key, base64-encoded (for a first start, or rotation).
    pub fn generate_encoded() -> String {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// Identifies the master key (not secret: a truncated hash), as hex.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Was `blob` made by this master key? (Read from its header; not a proof.)
    pub fn encrypted(&self, blob: &[u8]) -> bool {
        blob.len() > HEADER_LEN && blob[0] == VERSION && blob[1..1 + FINGERPRINT_LEN] == self.fingerprint
    }

    pub fn encrypt(&self, project_id: Option<&str>, key_id: &str, plaintext: &str) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut blob = Vec::with_capacity(HEADER_LEN + plaintext.len() + 16);
        blob.push(VERSION);
        blob.extend_from_slice(&self.fingerprint);
        blob.extend_from_slice(&nonce);
        let aad = associated_data(&blob, project_id, key_id);
        let sealed = self
            .aead
            .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad: &aad })
            // Only fails for messages over 64 GiB.
            .expect("AES-GCM encryption of a short key cannot fail");
        blob.extend_from_slice(&sealed);
        blob
    }

    pub fn decrypt(&self, project_id: Option<&str>, key_id: &str, blob: &[u8]) -> Result<String, DecryptError> {
        if blob.len() < HEADER_LEN + 16 || blob[0] != VERSION {
            return Err(DecryptError::Malformed);
        }
        if !self.encrypted(blob) {
            return Err(DecryptError::OtherMasterKey);
        }
        let (header, sealed) = blob.split_at(HEADER_LEN);
        let nonce = Nonce::from_slice(&header[1 + FINGERPRINT_LEN..]);
        let aad = associated_data(header, project_id, key_id);
        let plain = self.aead.decrypt(nonce, Payload { msg: sealed, aad: &aad }).map_err(|_| DecryptError::Tampered)?;
        String::from_utf8(plain).map_err(|_| DecryptError::Malformed)
    }
}

/// The header, then the row the key belongs to. Lengths are prefixed so ("ab", "c") and
/// ("a", "bc") differ.
fn associated_data(header: &[u8], project_id: Option<&str>, key_id: &str) -> Vec<u8> {
    let mut aad = b"elasticdash provider key\0".to_vec();
    aad.extend_from_slice(&header[..HEADER_LEN]);
    for part in [project_id.unwrap_or(""), key_id] {
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad.push(u8::from(project_id.is_some()));
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(byte: u8) -> KeyCipher {
        KeyCipher::new([byte; 32])
    }

    #[test]
    fn round_trips_and_hides_the_key() {
        let c = cipher(7);
        let blob = c.encrypt(Some("proj"), "key1", "sk-live-0123456789");
        assert!(!blob.windows(10).any(|w| w == b"sk-live-01"), "plaintext in the blob");
        assert_eq!(c.decrypt(Some("proj"), "key1", &blob), Ok("sk-live-0123456789".into()));
        assert!(c.encrypted(&blob));
        // A fresh nonce every time.
        assert_ne!(c.encrypt(Some("proj"), "key1", "sk-live-0123456789"), blob);
    }

    #[test]
    fn a_ciphertext_is_bound_to_its_row() {
        let c = cipher(7);
        let blob = c.encrypt(Some("proj"), "key1", "secret-key");
        assert_eq!(c.decrypt(Some("other"), "key1", &blob), Err(DecryptError::Tampered));
        assert_eq!(c.decrypt(Some("proj"), "key2", &blob), Err(DecryptError::Tampered));
        assert_eq!(c.decrypt(None, "key1", &blob), Err(DecryptError::Tampered));
        let global = c.encrypt(None, "key1", "secret-key");
        assert_eq!(c.decrypt(Some(""), "key1", &global), Err(DecryptError::Tampered));
        let mut flipped = blob.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(c.decrypt(Some("proj"), "key1", &flipped), Err(DecryptError::Tampered));
    }

    #[test]
    fn another_master_key_is_told_apart() {
        let blob = cipher(7).encrypt(Some("proj"), "key1", "secret-key");
        let other = cipher(8);
        assert!(!other.encrypted(&blob));
        assert_eq!(other.decrypt(Some("proj"), "key1", &blob), Err(DecryptError::OtherMasterKey));
        assert_eq!(other.decrypt(Some("proj"), "key1", b"short"), Err(DecryptError::Malformed));
        assert_ne!(cipher(7).fingerprint(), other.fingerprint());
    }

    #[test]
    fn master_keys_parse_from_base64_or_hex() {
        let b64 = KeyCipher::generate_encoded();
        assert_eq!(b64.len(), 44);
        let from_b64 = KeyCipher::from_encoded(&format!("  {b64}\n")).unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(&b64).unwrap();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let from_hex = KeyCipher::from_encoded(&hex.to_uppercase()).unwrap();
        assert_eq!(from_b64.fingerprint(), from_hex.fingerprint());
        let blob = from_b64.encrypt(None, "k", "secret-key");
        assert_eq!(from_hex.decrypt(None, "k", &blob), Ok("secret-key".into()));
        assert_eq!(KeyCipher::from_encoded(" ").unwrap_err(), MasterKeyError::Empty);
        for bad in ["c2hvcnQ=", "zz", &"g".repeat(64), &format!("{b64}AAAA")] {
            assert_eq!(KeyCipher::from_encoded(bad).unwrap_err(), MasterKeyError::Malformed, "{bad}");
        }
        assert!(!format!("{from_b64:?}").contains(&b64));
    }
}
