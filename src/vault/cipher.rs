//! The vault envelope and its AES256 cipher, byte for byte as ansible-core 2.18 writes them.
//!
//! An envelope is a header line (`$ANSIBLE_VAULT;1.1;AES256`, or `1.2;AES256;<id>` when it
//! names a vault id) and the hex of `hex(salt) \n hex(hmac) \n hex(ciphertext)`, wrapped at
//! 80 columns. The key material is PBKDF2-HMAC-SHA256 (10,000 rounds, 32-byte salt) of the
//! password: 80 bytes split into the AES-256 key, the HMAC-SHA256 key and the CTR counter.
//! The plaintext is PKCS#7-padded to 16 bytes before AES-256-CTR (as Ansible does, although CTR
//! needs no padding). The HMAC covers the ciphertext and is checked, in constant time, before
//! anything is decrypted. This file knows nothing of where passwords come from.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The first bytes of every vaulted text.
pub(crate) const HEADER: &str = "$ANSIBLE_VAULT";
const ROUNDS: u32 = 10_000;
const BLOCK: usize = 16;
const WIDTH: usize = 80;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// Why a vaulted text could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    /// The text is not a vault envelope, or its hex is broken.
    #[error("vault format error: {0}")]
    Format(&'static str),
    /// The header names a cipher other than AES256.
    #[error("the vault cipher '{0}' is not supported (only AES256)")]
    Cipher(String),
    /// The HMAC does not match: the wrong password, or a damaged file.
    #[error("HMAC verification failed")]
    Hmac,
}

/// A parsed envelope: its vault id (1.2 only) and the inner vaulttext still to decrypt.
#[derive(Debug)]
pub(crate) struct Envelope {
    /// The vault id the header names, if any.
    pub(crate) vault_id: Option<String>,
    salt: Vec<u8>,
    hmac: Vec<u8>,
    ciphertext: Vec<u8>,
}

/// True when `text` starts with the vault header (leading whitespace allowed, as Ansible's
/// `is_encrypted` allows none but inline `!vault` values are often indented).
pub(crate) fn is_encrypted(text: &str) -> bool {
    text.trim_start().starts_with(HEADER)
}

/// Reads an envelope: header, then the wrapped hex.
pub(crate) fn parse(text: &str) -> Result<Envelope, CipherError> {
    let mut lines = text.trim().lines();
    let header = lines.next().unwrap_or_default();
    let fields: Vec<&str> = header.trim().split(';').map(str::trim).collect();
    if fields.first() != Some(&HEADER) || fields.len() < 3 {
        return Err(CipherError::Format(
            "the header is not '$ANSIBLE_VAULT;<version>;<cipher>'",
        ));
    }
    if fields[2] != "AES256" {
        return Err(CipherError::Cipher(fields[2].to_string()));
    }
    let vault_id = fields
        .get(3)
        .filter(|id| !id.is_empty())
        .map(|id| id.to_string());
    let body: String = lines.map(str::trim).collect();
    let inner = unhex(&body)?;
    let inner =
        String::from_utf8(inner).map_err(|_| CipherError::Format("the body is not text"))?;
    let mut parts = inner.splitn(3, '\n');
    let mut next = || unhex(parts.next().unwrap_or_default());
    let (salt, hmac, ciphertext) = (next()?, next()?, next()?);
    if salt.is_empty() || hmac.len() != 32 {
        return Err(CipherError::Format("the salt or HMAC is missing"));
    }
    Ok(Envelope {
        vault_id,
        salt,
        hmac,
        ciphertext,
    })
}

fn unhex(text: &str) -> Result<Vec<u8>, CipherError> {
    hex::decode(text).map_err(|_| CipherError::Format("the body is not hexadecimal"))
}

/// The AES key, the HMAC key and the counter block for `password` and `salt`.
fn keys(password: &[u8], salt: &[u8]) -> ([u8; 32], [u8; 32], [u8; 16]) {
    let mut derived = [0u8; 80];
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, ROUNDS, &mut derived);
    let mut aes_key = [0u8; 32];
    let mut mac_key = [0u8; 32];
    let mut iv = [0u8; 16];
    aes_key.copy_from_slice(&derived[..32]);
    mac_key.copy_from_slice(&derived[32..64]);
    iv.copy_from_slice(&derived[64..]);
    (aes_key, mac_key, iv)
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

impl Envelope {
    /// The plaintext, if `password` is the right one (the HMAC is checked first).
    pub(crate) fn decrypt(&self, password: &[u8]) -> Result<Vec<u8>, CipherError> {
        let (aes_key, mac_key, iv) = keys(password, &self.salt);
        let expected = mac(&mac_key, &self.ciphertext);
        if !bool::from(expected.ct_eq(&self.hmac)) {
            return Err(CipherError::Hmac);
        }
        let mut data = self.ciphertext.clone();
        Aes256Ctr::new(&aes_key.into(), &iv.into()).apply_keystream(&mut data);
        let pad = usize::from(*data.last().ok_or(CipherError::Format("no ciphertext"))?);
        let padded = (1..=BLOCK).contains(&pad)
            && data.len() >= pad
            && data[data.len() - pad..]
                .iter()
                .all(|b| usize::from(*b) == pad);
        if !padded {
            return Err(CipherError::Format("the padding is invalid"));
        }
        data.truncate(data.len() - pad);
        Ok(data)
    }
}

/// Encrypts `plaintext` with `password` and a fresh random salt; `vault_id` (other than
/// `default`) makes a 1.2 header that names it. The result ends with a newline.
pub(crate) fn encrypt(plaintext: &[u8], password: &[u8], vault_id: Option<&str>) -> String {
    let salt: [u8; 32] = rand::random();
    encrypt_with_salt(plaintext, password, vault_id, &salt)
}

fn encrypt_with_salt(
    plaintext: &[u8],
    password: &[u8],
    vault_id: Option<&str>,
    salt: &[u8],
) -> String {
    let (aes_key, mac_key, iv) = keys(password, salt);
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut data = plaintext.to_vec();
    data.extend(std::iter::repeat_n(pad as u8, pad));
    Aes256Ctr::new(&aes_key.into(), &iv.into()).apply_keystream(&mut data);
    let tag = mac(&mac_key, &data);
    let inner = format!(
        "{}\n{}\n{}",
        hex::encode(salt),
        hex::encode(tag),
        hex::encode(&data)
    );
    let body = hex::encode(inner);
    let header = match vault_id.filter(|id| *id != "default") {
        Some(id) => format!("{HEADER};1.2;AES256;{id}"),
        None => format!("{HEADER};1.1;AES256"),
    };
    let mut out = header;
    for chunk in body.as_bytes().chunks(WIDTH) {
        out.push('\n');
        out.push_str(std::str::from_utf8(chunk).expect("hex is ASCII"));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `db_password: s3cr3t-value\n`, encrypted by ansible-vault 2.18 with the password `pw1`.
    pub(crate) const V11: &str = "$ANSIBLE_VAULT;1.1;AES256
37646538636366363539643135623132373835303437653066393638333163316436303832346664
6539383037303137633363363038366561646130643665650a663630623963623437356262313730
64633434366263353036616230353931353134616132626464323061653530333965313337303161
3765353565316137310a373666323131666337386337636261346330666336653161356631356531
38393162323462313734653732373536643731626632643662306337613431346364
";

    /// The same text, `--vault-id prod@` with the password `pw2`.
    const V12: &str = "$ANSIBLE_VAULT;1.2;AES256;prod
65396237313233353265396566323461313566326435356634303038343662336662613634323363
3135316630616132663965613666343830376238326363300a306239383361616631343134636533
61383963623064353464323133656533626465646262353164306563623362316563623436323764
3930613231623939330a376339353036336437343032636234616439393662356564653431373834
37643133646362643335646661363961386133396464376465393135633766336661
";

    /// `inline-secret` from `encrypt_string --vault-id dev@` with `pw1`, indented as in YAML.
    const INLINE: &str = "          $ANSIBLE_VAULT;1.2;AES256;dev
          37356666376165336138393561623266353033333865653963386661323132653136643631326433
          3038323036343536346564663638373837326132353438350a353464363639343530363538363139
          32386136393534653534373332313664303062643538316636306231323463616465386634313366
          6261303235323432300a616665323264353430396662633530316265353638313037336539646334
          3239";

    #[test]
    fn decrypts_what_ansible_vault_wrote() {
        let cases = [
            (V11, "pw1", None, "db_password: s3cr3t-value\n"),
            (V12, "pw2", Some("prod"), "db_password: s3cr3t-value\n"),
            (INLINE, "pw1", Some("dev"), "inline-secret"),
        ];
        for (text, password, id, plain) in cases {
            let envelope = parse(text).unwrap();
            assert_eq!(envelope.vault_id.as_deref(), id);
            assert_eq!(
                envelope.decrypt(password.as_bytes()).unwrap(),
                plain.as_bytes()
            );
        }
    }

    #[test]
    fn a_wrong_password_fails_the_hmac() {
        assert_eq!(parse(V11).unwrap().decrypt(b"pw2"), Err(CipherError::Hmac));
    }

    #[test]
    fn re_encrypting_with_the_same_salt_gives_ansible_vaults_bytes() {
        let envelope = parse(V11).unwrap();
        let again = encrypt_with_salt(b"db_password: s3cr3t-value\n", b"pw1", None, &envelope.salt);
        assert_eq!(again, V11);
        let envelope = parse(V12).unwrap();
        let again = encrypt_with_salt(
            b"db_password: s3cr3t-value\n",
            b"pw2",
            Some("prod"),
            &envelope.salt,
        );
        assert_eq!(again, V12);
    }

    #[test]
    fn round_trips_every_padding_length() {
        for len in [0, 1, 15, 16, 17, 32, 33] {
            let plain = vec![b'x'; len];
            let text = encrypt(&plain, b"pw", Some("default"));
            assert!(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
            assert!(text.lines().all(|l| l.len() <= 80));
            assert_eq!(parse(&text).unwrap().decrypt(b"pw").unwrap(), plain);
        }
    }

    #[test]
    fn refuses_what_is_not_a_vault() {
        let cases = [
            (
                "hello",
                CipherError::Format("the header is not '$ANSIBLE_VAULT;<version>;<cipher>'"),
            ),
            (
                "$ANSIBLE_VAULT;1.1;AES\n00",
                CipherError::Cipher("AES".into()),
            ),
            (
                "$ANSIBLE_VAULT;1.1;AES256\nzz",
                CipherError::Format("the body is not hexadecimal"),
            ),
        ];
        for (text, err) in cases {
            assert_eq!(parse(text).unwrap_err(), err);
        }
    }
}
