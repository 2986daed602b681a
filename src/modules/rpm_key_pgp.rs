//! The key IDs and fingerprints of ASCII-armored OpenPGP public keys, read as
//! ansible.builtin.rpm_key reads them through librpm: the armor decoded, the packets walked
//! (old and new headers), and for each public key and subkey packet the fingerprint — SHA-1
//! of `0x99 ‖ len16 ‖ body` for version 4, SHA-256 of `0x9B ‖ len32 ‖ body` for version 6 —
//! with the key ID its last 16 hex digits.

use base64::Engine;
use sha1::Digest;

/// One key or subkey.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyId {
    pub keyid: String,
    pub fingerprint: String,
}

const PUBLIC_KEY: u8 = 6;
const PUBLIC_SUBKEY: u8 = 14;
const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const END: &str = "-----END PGP PUBLIC KEY BLOCK-----";

/// Whether `text` holds an armored public key.
pub(crate) fn is_pubkey(text: &str) -> bool {
    text.contains(BEGIN) && text.contains(END)
}

/// The keys of every armored block in `text`, in order.
pub(crate) fn keys(text: &str) -> Vec<KeyId> {
    blocks(text).iter().flat_map(|b| packet_keys(b)).collect()
}

/// Where [`blocks`] is in the text.
enum Armor {
    Outside,
    /// After the BEGIN line, in the armor headers (`Version: x`) up to an empty line.
    Headers,
    Body(String),
}

/// The decoded bytes of each armored block.
fn blocks(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = Armor::Outside;
    for line in text.lines().map(str::trim) {
        at = match at {
            Armor::Outside if line == BEGIN => Armor::Headers,
            Armor::Outside => Armor::Outside,
            Armor::Headers if line.is_empty() => Armor::Body(String::new()),
            Armor::Headers if line.contains(": ") => Armor::Headers,
            Armor::Headers => Armor::Body(line.to_string()),
            Armor::Body(b64) if line == END => {
                let engine = base64::engine::general_purpose::STANDARD;
                out.extend(engine.decode(b64.as_bytes()).ok());
                Armor::Outside
            }
            // The checksum line (`=abcd`) is not data.
            Armor::Body(b64) if line.starts_with('=') => Armor::Body(b64),
            Armor::Body(b64) => Armor::Body(b64 + line),
        };
    }
    out
}

/// A packet header at `at`: its tag, body length and header length.
fn header(p: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let t = *p.get(at)?;
    let byte = |i: usize| p.get(at + i).map(|b| *b as usize);
    if t & 0x40 != 0 {
        let first = byte(1)?;
        return match first {
            0..=191 => Some((t & 0x3f, first, 2)),
            192..=223 => Some((t & 0x3f, ((first - 192) << 8) + byte(2)? + 192, 3)),
            255 => {
                let len = (byte(2)? << 24) | (byte(3)? << 16) | (byte(4)? << 8) | byte(5)?;
                Some((t & 0x3f, len, 6))
            }
            _ => None,
        };
    }
    let tag = (t >> 2) & 0x0f;
    match t & 3 {
        0 => Some((tag, byte(1)?, 2)),
        1 => Some((tag, (byte(1)? << 8) | byte(2)?, 3)),
        2 => {
            let len = (byte(1)? << 24) | (byte(2)? << 16) | (byte(3)? << 8) | byte(4)?;
            Some((tag, len, 5))
        }
        _ => None,
    }
}

/// The keys of a decoded packet stream.
fn packet_keys(p: &[u8]) -> Vec<KeyId> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((tag, len, hlen)) = header(p, at) {
        let Some(body) = p.get(at + hlen..at + hlen + len) else {
            break;
        };
        if tag == PUBLIC_KEY || tag == PUBLIC_SUBKEY {
            let fingerprint = match body.first() {
                Some(4) => Some(hex::encode_upper(
                    sha1::Sha1::new()
                        .chain_update([0x99, (len >> 8) as u8, len as u8])
                        .chain_update(body)
                        .finalize(),
                )),
                Some(6) => Some(hex::encode_upper(
                    sha2::Sha256::new()
                        .chain_update([0x9b])
                        .chain_update((len as u32).to_be_bytes())
                        .chain_update(body)
                        .finalize(),
                )),
                _ => None,
            };
            if let Some(fingerprint) = fingerprint {
                let keyid = fingerprint[fingerprint.len() - 16..].to_string();
                out.push(KeyId { keyid, fingerprint });
            }
        }
        at += hlen + len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_headers_read_both_formats() {
        assert_eq!(header(&[0x99, 0x01, 0x0d], 0), Some((6, 269, 3)));
        assert_eq!(header(&[0xc6, 0x05], 0), Some((6, 5, 2)));
        assert_eq!(header(&[0xce, 0xc1, 0x10], 0), Some((14, 464, 3)));
        assert_eq!(header(&[0x98], 0), None);
    }

    #[test]
    fn armor_decodes_past_its_headers_and_checksum() {
        let text = format!("junk\n{BEGIN}\nComment: x\n\nmQ==\n=abcd\n{END}\n");
        assert_eq!(blocks(&text), vec![vec![0x99]]);
        assert!(is_pubkey(&text));
    }
}
