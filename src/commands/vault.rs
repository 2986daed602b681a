//! `ferry vault create | decrypt | edit | encrypt | encrypt_string | rekey | view`, with
//! ansible-vault's flags; and [`unlock`], which every command that loads playbooks or
//! inventories calls first, so that vaulted data is read with the passwords it was given.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::cli::{
    VaultArgs, VaultCommand, VaultEditArgs, VaultFilesArgs, VaultRekeyArgs, VaultStringArgs,
    VaultViewArgs,
};
use crate::config::Config;
use crate::error::Error;
use crate::vault::sources::{self, terminal_prompt, Request};
use crate::vault::{self, is_encrypted, Keyring, Secret};

/// Reads the vault passwords `args`, `ANSIBLE_VAULT_*` and ansible.cfg name, and installs
/// them for the readers. A source that cannot give a password stops the command here.
pub fn unlock(args: &VaultArgs) -> Result<(), Error> {
    let keyring = request(args).unlock(&mut terminal_prompt, false)?;
    vault::install(keyring);
    Ok(())
}

fn request(args: &VaultArgs) -> Request {
    let config = Config::global();
    let mut ids = config.list("DEFAULT_VAULT_IDENTITY_LIST");
    ids.extend(args.vault_id.iter().cloned());
    let mut password_files = args.vault_password_file.clone();
    password_files.extend(
        config
            .text("DEFAULT_VAULT_PASSWORD_FILE")
            .map(PathBuf::from),
    );
    Request {
        ids,
        password_files,
        ask: args.ask_vault_pass,
    }
}

/// Runs one `ferry vault` action.
pub fn vault(command: VaultCommand) -> Result<i32, Error> {
    match command {
        VaultCommand::Create(a) => edit(&a, true),
        VaultCommand::Decrypt(a) => decrypt(&a),
        VaultCommand::Edit(a) => edit(&a, false),
        VaultCommand::Encrypt(a) => encrypt(&a),
        VaultCommand::EncryptString(a) => encrypt_string(&a),
        VaultCommand::Rekey(a) => rekey(&a),
        VaultCommand::View(a) => view(&a),
    }?;
    Ok(0)
}

/// The keyring of a `ferry vault` action; with no source given, a new password is asked
/// (twice) when `new`, as ansible-vault does.
fn keyring(args: &VaultArgs, new: bool) -> Result<Keyring, Error> {
    let mut req = request(args);
    if req.specs().is_empty() {
        req.ask = true;
    }
    Ok(req.unlock(&mut terminal_prompt, new)?)
}

/// The vault id to encrypt with: the one asked for, or the only one there is.
fn encrypt_id<'k>(keyring: &'k Keyring, asked: Option<&str>) -> Result<&'k Secret, Error> {
    if asked.is_none() && keyring.secrets.len() > 1 {
        let ids: Vec<&str> = keyring.secrets.iter().map(|s| s.id.as_str()).collect();
        return Err(Error::Options(format!(
            "the vault ids {ids:?} are available to encrypt: choose one with --encrypt-vault-id"
        )));
    }
    Ok(keyring.for_encrypt(asked)?)
}

fn encrypt_with(secret: &Secret, plain: &[u8]) -> Result<String, Error> {
    let single = Keyring {
        secrets: vec![secret.clone()],
    };
    Ok(single.encrypt(plain, None)?)
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    let mut data = Vec::new();
    if is_stdin(path) {
        std::io::stdin()
            .read_to_end(&mut data)
            .map_err(|source| Error::Io {
                path: path.into(),
                source,
            })?;
        return Ok(data);
    }
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}

fn write_output(path: &Path, data: &[u8]) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: path.into(),
        source,
    };
    if is_stdin(path) {
        return std::io::stdout().lock().write_all(data).map_err(failed);
    }
    if path.exists() {
        return std::fs::write(path, data).map_err(failed);
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(data))
        .map_err(failed)
}

#[allow(clippy::print_stderr)]
fn say(message: &str) {
    eprintln!("{message}");
}

/// The files of encrypt/decrypt with where each goes: in place, or `--output`.
fn targets(args: &VaultFilesArgs) -> Result<Vec<(PathBuf, PathBuf)>, Error> {
    let files = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    };
    if args.output.is_some() && files.len() > 1 {
        return Err(Error::Options("--output takes one input file".into()));
    }
    Ok(files
        .into_iter()
        .map(|f| {
            let out = args.output.clone().unwrap_or_else(|| f.clone());
            (f, out)
        })
        .collect())
}

fn encrypt(args: &VaultFilesArgs) -> Result<(), Error> {
    let keyring = keyring(&args.vault, true)?;
    let secret = encrypt_id(&keyring, args.encrypt_vault_id.as_deref())?;
    for (input, output) in targets(args)? {
        let data = read_input(&input)?;
        if std::str::from_utf8(&data).is_ok_and(is_encrypted) {
            return Err(Error::Options(format!(
                "{} is already vault encrypted",
                input.display()
            )));
        }
        write_output(&output, encrypt_with(secret, &data)?.as_bytes())?;
    }
    say("Encryption successful");
    Ok(())
}

/// The plaintext of a vaulted file (`-`: stdin), and the secret that opened it.
fn open<'k>(keyring: &'k Keyring, input: &Path) -> Result<(Vec<u8>, &'k Secret), Error> {
    let data = read_input(input)?;
    let text = String::from_utf8_lossy(&data);
    if !is_encrypted(&text) {
        return Err(Error::Options(format!(
            "input is not vault encrypted data: {} is not a vault encrypted file",
            input.display()
        )));
    }
    Ok(keyring.decrypt_with(&text, &input.display().to_string())?)
}

fn decrypt(args: &VaultFilesArgs) -> Result<(), Error> {
    let keyring = keyring(&args.vault, false)?;
    for (input, output) in targets(args)? {
        let (plain, _) = open(&keyring, &input)?;
        write_output(&output, &plain)?;
    }
    say("Decryption successful");
    Ok(())
}

fn view(args: &VaultViewArgs) -> Result<(), Error> {
    let keyring = keyring(&args.vault, false)?;
    for file in &args.files {
        let (plain, _) = open(&keyring, file)?;
        write_output(Path::new("-"), &plain)?;
    }
    Ok(())
}

fn rekey(args: &VaultRekeyArgs) -> Result<(), Error> {
    let old = keyring(&args.vault, false)?;
    let new = new_secret(args)?;
    for file in &args.files {
        let (plain, _) = open(&old, file)?;
        write_output(file, encrypt_with(&new, &plain)?.as_bytes())?;
    }
    say("Rekey successful");
    Ok(())
}

/// The password `rekey` encrypts with: `--new-vault-password-file` (for `--new-vault-id`'s
/// label), `--new-vault-id LABEL@SOURCE`, or a new password asked twice.
fn new_secret(args: &VaultRekeyArgs) -> Result<Secret, Error> {
    let spec = match (&args.new_vault_password_file, &args.new_vault_id) {
        (Some(file), id) => format!(
            "{}@{}",
            id.as_deref().unwrap_or(vault::DEFAULT_ID),
            file.display()
        ),
        (None, Some(id)) if id.contains('@') => id.clone(),
        (None, id) => format!("{}@prompt", id.as_deref().unwrap_or(vault::DEFAULT_ID)),
    };
    let (label, _) = sources::split(&spec);
    let req = Request {
        ids: vec![spec.clone()],
        ..Request::default()
    };
    let mut keyring = req.unlock(&mut terminal_prompt, true)?;
    let mut secret = keyring.secrets.remove(0);
    secret.id = label.unwrap_or(vault::DEFAULT_ID).to_string();
    Ok(secret)
}

/// `create` (a new file) and `edit`: the plaintext goes to a private temporary file for
/// `$EDITOR`, which is removed afterwards whatever happens; an unchanged edit writes nothing.
fn edit(args: &VaultEditArgs, create: bool) -> Result<(), Error> {
    let keyring = keyring(&args.vault, create)?;
    let (plain, secret) = if create {
        if args.file.exists() {
            return Err(Error::Options(format!(
                "{} exists, please use 'edit' instead",
                args.file.display()
            )));
        }
        let secret = encrypt_id(&keyring, args.encrypt_vault_id.as_deref())?;
        (Vec::new(), secret)
    } else {
        let (plain, used) = open(&keyring, &args.file)?;
        let secret = match args.encrypt_vault_id.as_deref() {
            Some(id) => keyring.for_encrypt(Some(id))?,
            None => used,
        };
        (plain, secret)
    };
    let edited = run_editor(&plain)?;
    if !create && edited == plain {
        return Ok(());
    }
    write_output(&args.file, encrypt_with(secret, &edited)?.as_bytes())
}

/// Writes `plain` to a new 0600 file in the temporary directory, runs `$EDITOR` (or `vi`)
/// on it, reads it back and removes it.
fn run_editor(plain: &[u8]) -> Result<Vec<u8>, Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = format!(
        "ferry-vault-{}-{:016x}.yml",
        std::process::id(),
        rand::random::<u64>()
    );
    let path = std::env::temp_dir().join(name);
    let io = |source| Error::Write {
        path: path.clone(),
        source,
    };
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(plain))
        .map_err(io)?;
    let result = edit_file(&path);
    let _ = std::fs::remove_file(&path);
    result
}

fn edit_file(path: &Path) -> Result<Vec<u8>, Error> {
    let editor = std::env::var("EDITOR").unwrap_or_else(|_| "vi".into());
    let mut words = shlex::split(&editor).unwrap_or_default();
    if words.is_empty() {
        words.push("vi".into());
    }
    let status = std::process::Command::new(&words[0])
        .args(&words[1..])
        .arg(path)
        .status()
        .map_err(|e| Error::Options(format!("cannot run the editor '{editor}': {e}")))?;
    if !status.success() {
        return Err(Error::Options(format!(
            "the editor '{editor}' failed ({status})"
        )));
    }
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })
}

/// `encrypt_string`: each string as a `!vault |` YAML value, named by `--name` in order.
fn encrypt_string(args: &VaultStringArgs) -> Result<(), Error> {
    let keyring = keyring(&args.vault, true)?;
    let secret = encrypt_id(&keyring, args.encrypt_vault_id.as_deref())?;
    let mut items: Vec<(Option<String>, String)> = Vec::new();
    if args.prompt {
        items.push(prompted_string(args.show_input)?);
    }
    let mut names = args.names.iter().cloned();
    for s in &args.strings {
        items.push((names.next(), s.clone()));
    }
    if items.is_empty() || args.stdin_name.is_some() {
        let data = read_input(Path::new("-"))?;
        if data.is_empty() {
            return Err(Error::Options("stdin was empty, not encrypting".into()));
        }
        let text = String::from_utf8_lossy(&data).into_owned();
        items.push((args.stdin_name.clone().or_else(|| names.next()), text));
    }
    let mut out = String::new();
    for (name, plain) in items {
        out.push_str(&vault_yaml(
            name.as_deref(),
            &encrypt_with(secret, plain.as_bytes())?,
        ));
    }
    write_output(Path::new("-"), out.as_bytes())?;
    say("Encryption successful");
    Ok(())
}

fn prompted_string(show: bool) -> Result<(Option<String>, String), Error> {
    let no_tty = || Error::Options("--prompt needs a terminal".into());
    if !std::io::stdin().is_terminal() {
        return Err(no_tty());
    }
    let mut name = String::new();
    say("Variable name (enter for no name): ");
    std::io::stdin()
        .read_line(&mut name)
        .map_err(|_| no_tty())?;
    let value = if show {
        say("String to encrypt: ");
        let mut v = String::new();
        std::io::stdin().read_line(&mut v).map_err(|_| no_tty())?;
        v.trim_end_matches('\n').to_string()
    } else {
        rpassword::prompt_password("String to encrypt (hidden): ").map_err(|_| no_tty())?
    };
    let name = name.trim();
    Ok(((!name.is_empty()).then(|| name.to_string()), value))
}

/// `NAME: !vault |` and the envelope indented by 10, as ansible-vault prints it.
fn vault_yaml(name: Option<&str>, envelope: &str) -> String {
    let mut out = match name {
        Some(n) => format!("{n}: !vault |\n"),
        None => "!vault |\n".to_string(),
    };
    for line in envelope.lines() {
        out.push_str("          ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
