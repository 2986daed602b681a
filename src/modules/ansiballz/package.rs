//! A Python module packaged as Ansible's AnsiballZ packages it: the module file plus every
//! piece of support code it imports, transitively (`ansible.module_utils.*` from ansible-core
//! on the controller, `ansible_collections.<ns>.<coll>.plugins.module_utils.*` from the
//! collection roots, relative imports), with the `__init__.py` files of their packages, in one
//! zip. Built once per module and run; kept on the controller by content hash.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

use super::imports;
use super::zip::ZipWriter;
use crate::collections::located::ModuleFile;

/// A packaged module, ready to send.
#[derive(Debug)]
pub(crate) struct Package {
    /// The zip.
    pub zip: Vec<u8>,
    /// The zip's sha256 (hex): its name in the caches.
    pub hash: String,
    /// The dotted name the module runs as.
    pub fqn: String,
}

/// Why a module could not be packaged.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PackageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where support code is read from: ansible-core's package directory and collection roots.
pub(crate) struct Sources<'a> {
    /// The directory holding ansible-core's `ansible/`.
    pub core: &'a Path,
    /// Directories holding `ansible_collections/`, searched in order.
    pub roots: &'a [PathBuf],
}

/// The packaged `module`: from this run's memory, the controller cache, or built now.
pub(crate) fn get(
    module: &ModuleFile,
    sources: &Sources<'_>,
) -> Result<Arc<Package>, PackageError> {
    static BUILT: OnceLock<Mutex<HashMap<PathBuf, Arc<Package>>>> = OnceLock::new();
    let built = BUILT.get_or_init(Mutex::default);
    if let Some(p) = built
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&module.path)
    {
        return Ok(p.clone());
    }
    let package = Arc::new(cached(module, sources)?);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    Ok(built.entry(module.path.clone()).or_insert(package).clone())
}

/// The package from `~/.cache/ferry/ansiballz`, keyed by the hash of the module's source and of
/// the versions of what it imports from; built and stored there when missing.
fn cached(module: &ModuleFile, sources: &Sources<'_>) -> Result<Package, PackageError> {
    let source = read(&module.path)?;
    let mut key = Sha256::new();
    key.update(&source);
    key.update(module.fqn.as_bytes());
    key.update(sources.core.as_os_str().as_encoded_bytes());
    for stamp in [sources.core.join("ansible/release.py")]
        .iter()
        .chain(&owning_manifest(&module.path))
    {
        key.update(std::fs::read(stamp).unwrap_or_default());
    }
    let key = hex::encode(key.finalize());
    let dir = crate::paths::home_dir().map(|h| h.join(".cache/ferry/ansiballz"));
    let file = dir.as_ref().map(|d| d.join(format!("{key}.zip")));
    if let Some(zip) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
        return Ok(package(zip, &module.fqn));
    }
    let zip = build(module, &source, sources)?;
    if let (Some(dir), Some(file)) = (dir, file) {
        // A cache that cannot be written is only slower next time.
        let tmp = dir.join(format!(".{key}.{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&tmp, &zip))
            .and_then(|_| std::fs::rename(&tmp, &file));
    }
    Ok(package(zip, &module.fqn))
}

fn package(zip: Vec<u8>, fqn: &str) -> Package {
    Package {
        hash: hex::encode(Sha256::digest(&zip)),
        zip,
        fqn: fqn.to_string(),
    }
}

/// The `MANIFEST.json` of the collection a module file is in (its version), if any.
fn owning_manifest(path: &Path) -> Option<PathBuf> {
    let plugins = path.ancestors().find(|a| a.ends_with("plugins"))?;
    Some(plugins.parent()?.join("MANIFEST.json"))
}

fn read(path: &Path) -> Result<Vec<u8>, PackageError> {
    std::fs::read(path).map_err(|source| PackageError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Packages that are written for the zip rather than read: they let the installed ones
/// beside them be found too, as AnsiballZ writes them.
const EXTENDED: &[&str] = &["ansible", "ansible.module_utils"];

/// The zip of `module` (whose text is `source`) and its support code.
fn build(
    module: &ModuleFile,
    source: &[u8],
    sources: &Sources<'_>,
) -> Result<Vec<u8>, PackageError> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut queue: VecDeque<String> = VecDeque::from(["ansible.module_utils.basic".to_string()]);
    let (package, _) = module.fqn.rsplit_once('.').unwrap_or(("", ""));
    files.insert(zip_path(&module.fqn, false), source.to_vec());
    parents(&module.fqn, sources, &mut files, &mut queue);
    queue.extend(follow(&String::from_utf8_lossy(source), package));
    let mut seen = std::collections::HashSet::new();
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name.clone()) || EXTENDED.contains(&name.as_str()) {
            continue;
        }
        let Some((path, is_package)) = sources.file(&name) else {
            continue;
        };
        let text = read(&path)?;
        let package = match is_package {
            true => name.as_str(),
            false => name.rsplit_once('.').map_or("", |(p, _)| p),
        };
        queue.extend(follow(&String::from_utf8_lossy(&text), package));
        files.insert(zip_path(&name, is_package), text);
        parents(&name, sources, &mut files, &mut queue);
    }
    let mut zip = ZipWriter::default();
    for (name, data) in &files {
        zip.add(name, data);
    }
    Ok(zip.finish())
}

/// The modules an import list names: each module, and each name taken from it (which may be a
/// submodule).
fn follow(source: &str, package: &str) -> Vec<String> {
    let mut out = Vec::new();
    for i in imports::scan(source, package) {
        out.extend(i.names.iter().map(|n| format!("{}.{n}", i.module)));
        out.push(i.module);
    }
    out
}

/// Adds the packages above `name`: an installed one's `__init__.py` is queued to be read, one
/// without (a namespace package) gets an empty one, and the top ones are written.
fn parents(
    name: &str,
    sources: &Sources<'_>,
    files: &mut BTreeMap<String, Vec<u8>>,
    queue: &mut VecDeque<String>,
) {
    let parts: Vec<&str> = name.split('.').collect();
    for n in 1..parts.len() {
        let pkg = parts[..n].join(".");
        let init = zip_path(&pkg, true);
        if files.contains_key(&init) {
            continue;
        }
        if EXTENDED.contains(&pkg.as_str()) {
            let text =
                "from pkgutil import extend_path\n__path__ = extend_path(__path__, __name__)\n";
            files.insert(init, text.as_bytes().to_vec());
        } else if pkg != "ansible.modules" && sources.file(&pkg).is_some() {
            queue.push_back(pkg);
        } else {
            files.insert(init, Vec::new());
        }
    }
}

/// The path in the zip of dotted module `name`.
fn zip_path(name: &str, is_package: bool) -> String {
    let path = name.replace('.', "/");
    match is_package {
        true => format!("{path}/__init__.py"),
        false => format!("{path}.py"),
    }
}

impl Sources<'_> {
    /// The file of dotted module `name` on the controller, and whether it is a package.
    fn file(&self, name: &str) -> Option<(PathBuf, bool)> {
        let rel: PathBuf = name.split('.').collect();
        let bases: Vec<&Path> = match name.split('.').next() {
            Some("ansible") => vec![self.core],
            Some("ansible_collections") => self.roots.iter().map(PathBuf::as_path).collect(),
            _ => return None,
        };
        bases.iter().find_map(|base| {
            let module = base.join(&rel).with_extension("py");
            let package = base.join(&rel).join("__init__.py");
            if module.is_file() {
                Some((module, false))
            } else if package.is_file() {
                Some((package, true))
            } else {
                None
            }
        })
    }
}
