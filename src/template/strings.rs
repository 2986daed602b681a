//! Ansible's filters on text: hashes (`hash`, `md5`, `sha1`, `checksum`), `password_hash`,
//! `to_uuid`, `comment`, `quote`, `human_to_bytes`, `human_readable`, `urlsplit`.

use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error};
use serde_json::{json, Value as Json};

use super::values::{err, from_json};

/// Registers the filters.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("hash", |s: String, alg: Option<String>| {
        hash(s.as_bytes(), alg.as_deref().unwrap_or("sha1"))
    });
    env.add_filter("md5", |s: String| hash(s.as_bytes(), "md5"));
    env.add_filter("sha1", |s: String| hash(s.as_bytes(), "sha1"));
    env.add_filter("checksum", |s: String| hash(s.as_bytes(), "sha1"));
    env.add_filter("password_hash", password_hash);
    env.add_filter("to_uuid", to_uuid);
    env.add_filter("comment", comment);
    env.add_filter("quote", |s: Value| shell_quote(&s.to_string()));
    env.add_filter("human_to_bytes", human_to_bytes);
    env.add_filter("human_readable", human_readable);
    env.add_filter("urlsplit", urlsplit);
}

/// The hex digest of `data` with Python hashlib's algorithm `alg`.
fn hash(data: &[u8], alg: &str) -> Result<String, Error> {
    use sha2::Digest;
    fn hex_of<D: Digest>(data: &[u8]) -> String {
        hex::encode(D::digest(data))
    }
    Ok(match alg {
        "md5" => hex_of::<md5::Md5>(data),
        "sha1" => crate::checksum::sha1_hex(data),
        "sha224" => hex_of::<sha2::Sha224>(data),
        "sha256" => hex_of::<sha2::Sha256>(data),
        "sha384" => hex_of::<sha2::Sha384>(data),
        "sha512" => hex_of::<sha2::Sha512>(data),
        "blake2b" => hex_of::<blake2::Blake2b512>(data),
        "blake2s" => hex_of::<blake2::Blake2s256>(data),
        other => {
            return Err(err(format!(
                "hash: unsupported algorithm '{other}' (ferry has md5, sha1, sha224, sha256, \
                 sha384, sha512, blake2b, blake2s)"
            )))
        }
    })
}

/// `password_hash(hashtype='sha512', salt=None, rounds=None, ident=None)`, as passlib
/// writes it (its default rounds: 656000 for sha512, 535000 for sha256, 12 for bcrypt).
/// md5 and sha256 crypt are weak, but a playbook that asks for them gets them.
#[allow(deprecated)]
fn password_hash(
    pw: String,
    hashtype: Option<String>,
    salt: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let hashtype = hashtype
        .or(kwargs.get("hashtype")?)
        .unwrap_or_else(|| "sha512".into());
    let salt = salt.or(kwargs.get("salt")?);
    let rounds: Option<u32> = kwargs.get("rounds")?;
    let ident: Option<String> = kwargs.get("ident")?;
    let salt_size: Option<usize> = kwargs.get("salt_size")?;
    kwargs.assert_all_used()?;
    let salt_or = |n: usize| {
        salt.clone()
            .unwrap_or_else(|| random_salt(salt_size.unwrap_or(n)))
    };
    let failed = |e: pwhash::error::Error| err(format!("password_hash: {e}"));
    match hashtype.as_str() {
        "sha512" | "sha256" => {
            let (id, default_rounds) = if hashtype == "sha512" {
                (6, 656_000)
            } else {
                (5, 535_000)
            };
            let rounds = rounds.unwrap_or(default_rounds);
            let setup = format!("${id}$rounds={rounds}${}$", salt_or(16));
            let hashed = if id == 6 {
                pwhash::sha512_crypt::hash_with(setup.as_str(), &pw)
            } else {
                pwhash::sha256_crypt::hash_with(setup.as_str(), &pw)
            };
            hashed.map_err(failed)
        }
        "md5" => pwhash::md5_crypt::hash_with(format!("$1${}$", salt_or(8)).as_str(), &pw)
            .map_err(failed),
        "bcrypt" | "blowfish" => {
            let variant = match ident.as_deref().unwrap_or("2b") {
                "2a" => pwhash::bcrypt::BcryptVariant::V2a,
                "2y" => pwhash::bcrypt::BcryptVariant::V2y,
                _ => pwhash::bcrypt::BcryptVariant::V2b,
            };
            let salt = salt_or(22);
            let setup = pwhash::bcrypt::BcryptSetup {
                salt: Some(&salt),
                cost: Some(rounds.unwrap_or(12)),
                variant: Some(variant),
            };
            pwhash::bcrypt::hash_with(setup, &pw).map_err(failed)
        }
        other => Err(err(format!(
            "password_hash: '{other}' is not supported by ferry (sha512, sha256, md5, bcrypt are)"
        ))),
    }
}

/// A random salt of crypt's alphabet.
fn random_salt(n: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `to_uuid(namespace='361e6d51-faec-444a-9079-341386da8e2e')`: a version 5 UUID.
fn to_uuid(name: Value, namespace: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let ns = namespace
        .or(kwargs.get("namespace")?)
        .unwrap_or_else(|| "361e6d51-faec-444a-9079-341386da8e2e".into());
    kwargs.assert_all_used()?;
    let ns_bytes = hex::decode(ns.replace('-', ""))
        .ok()
        .filter(|b| b.len() == 16)
        .ok_or_else(|| err(format!("to_uuid: '{ns}' is not a UUID")))?;
    use sha1::Digest;
    let mut hasher = sha1::Sha1::new();
    hasher.update(&ns_bytes);
    hasher.update(name.to_string().as_bytes());
    let mut b: Vec<u8> = hasher.finalize()[..16].to_vec();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// `comment(style='plain', decoration=..., prefix=..., postfix=..., beginning=..., end=...)`.
fn comment(text: String, style: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let style = style.unwrap_or_else(|| "plain".into());
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(err(format!("comment: unknown style '{other}'"))),
    };
    let get = |k: &str, d: &str| -> Result<String, Error> {
        Ok(kwargs
            .get::<Option<String>>(k)?
            .unwrap_or_else(|| d.to_string()))
    };
    let decoration = get("decoration", decoration)?;
    let prepost = decoration.trim_end().to_string();
    let newline = get("newline", "\n")?;
    let beginning = get("beginning", beginning)?;
    let end = get("end", end)?;
    let prefix = get("prefix", &prepost)?;
    let postfix = get("postfix", &prepost)?;
    let prefix_count = kwargs.get::<Option<usize>>("prefix_count")?.unwrap_or(1);
    let postfix_count = kwargs.get::<Option<usize>>("postfix_count")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&format!("{beginning}{newline}"));
    }
    if !prefix.is_empty() {
        let one = if prefix == newline {
            newline.clone()
        } else {
            format!("{prefix}{newline}")
        };
        out.push_str(&one.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        text.replace(&newline, &format!("{newline}{decoration}"))
    );
    out.push_str(&body.replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    ));
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&format!("{newline}{end}"));
    }
    Ok(out)
}

/// Python's `shlex.quote`.
pub(crate) fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if s.chars().all(safe) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

const UNITS: &str = "BKMGTPEZY";

/// `human_to_bytes(default_unit=None, isbits=False)`: `'2 MB'` → 2097152.
fn human_to_bytes(v: Value, default_unit: Option<String>, kwargs: Kwargs) -> Result<i64, Error> {
    let isbits = kwargs.get::<Option<bool>>("isbits")?.unwrap_or(false);
    let default_unit = default_unit.or(kwargs.get("default_unit")?);
    kwargs.assert_all_used()?;
    let text = v.to_string();
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim());
    let number: f64 = num.parse().map_err(|_| {
        err(format!(
            "human_to_bytes() can't interpret following string: {text}"
        ))
    })?;
    let unit = if unit.is_empty() {
        default_unit.unwrap_or_else(|| "B".into())
    } else {
        unit.to_string()
    };
    let mut chars = unit.chars();
    let prefix = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or('B');
    let power = UNITS.find(prefix).ok_or_else(|| {
        err(format!(
            "human_to_bytes() failed to convert {text}. Value is not a valid string"
        ))
    })?;
    let rest: String = chars.collect();
    let expected = if isbits { "b" } else { "B" };
    let fits = match (power, rest.as_str()) {
        (0, "") | (0, "ytes") | (0, "its") => true,
        (_, "") => true,
        (_, r) => r == expected,
    };
    if !fits {
        let kind = if isbits { "bit" } else { "byte" };
        return Err(err(format!(
            "human_to_bytes() failed to convert {text}. Value is not a valid string (expected {kind} unit, e.g. '{prefix}{expected}')"
        )));
    }
    Ok((number * 1024f64.powi(power as i32)).round() as i64)
}

/// `human_readable(isbits=False, unit=None)`: 1048576 → `'1.00 MB'`.
fn human_readable(
    v: f64,
    isbits: Option<bool>,
    unit: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let isbits = isbits.or(kwargs.get("isbits")?).unwrap_or(false);
    let unit = unit.or(kwargs.get("unit")?);
    kwargs.assert_all_used()?;
    let base_unit = if isbits { "bits" } else { "Bytes" };
    let suffix = if isbits { "b" } else { "B" };
    let pick = match unit.as_deref().and_then(|u| u.chars().next()) {
        Some(u) => UNITS.find(u.to_ascii_uppercase()).unwrap_or(0),
        None => (1..UNITS.len())
            .rev()
            .find(|&p| v >= 1024f64.powi(p as i32))
            .unwrap_or(0),
    };
    let value = v / 1024f64.powi(pick as i32);
    if pick == 0 {
        return Ok(format!("{value:.2} {base_unit}"));
    }
    let letter = &UNITS[pick..=pick];
    Ok(format!("{value:.2} {letter}{suffix}"))
}

/// `urlsplit(query='')`: the parts of a URL, as Python's `urllib.parse.urlsplit` names them.
fn urlsplit(url: String, query: Option<String>) -> Result<Value, Error> {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r))
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (s.to_ascii_lowercase(), format!("//{r}"))
        }
        _ => (String::new(), url.clone()),
    };
    let (rest, fragment) = rest.split_once('#').unwrap_or((&rest, ""));
    let (rest, query_part) = rest.split_once('?').unwrap_or((rest, ""));
    let (netloc, path) = match rest.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        },
        None => ("", rest),
    };
    let (userinfo, hostport) = match netloc.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, netloc),
    };
    let (username, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((a, b)) => (json!(a), json!(b)),
            None => (json!(u), Json::Null),
        },
        None => (Json::Null, Json::Null),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
            (h, p.parse::<u16>().map(|p| json!(p)).unwrap_or(Json::Null))
        }
        _ => (hostport, Json::Null),
    };
    let hostname = if host.is_empty() {
        Json::Null
    } else {
        json!(host.to_ascii_lowercase())
    };
    let parts = json!({
        "fragment": fragment, "hostname": hostname, "netloc": netloc, "password": password,
        "path": path, "port": port, "query": query_part, "scheme": scheme, "username": username,
    });
    match query.as_deref() {
        None | Some("") => Ok(from_json(&parts)),
        Some(q) => parts
            .get(q)
            .map(from_json)
            .ok_or_else(|| err(format!("urlsplit: unknown URL component: {q}"))),
    }
}
