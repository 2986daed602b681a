//! The fuzz targets (`ferry::fuzzing`), run for a bounded time on every test run: seeds from
//! the tree (the conformance playbooks, the templating cases, inventories, texts ansible-vault
//! encrypted, and the inputs libFuzzer once found to crash or blow up), then random mutations
//! of them with YAML, Jinja and vault tokens spliced in. A panic fails the test, and so does one input taking over 2 s
//! (the YAML key blow-up libFuzzer found took minutes). `FERRY_FUZZ_SECS` sets the time per
//! target (default 6); `FERRY_FUZZ_SEED` the random seed (printed, so a failure replays).
//! Coverage-guided runs: `bash scripts/fuzz.sh SECONDS` (libFuzzer).

use std::fs;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::support::root;

/// What libFuzzer found; each must stay harmless.
const FOUND: &[&str] = &[
    // Nested complex keys at varying indents: each key's text quoted the one inside it.
    "?  ? ? ?   ?  ?  ?    ? ? ? ?  ?  ?   ?  ?  ?    ? ?  ?  ?   ?  ?  ?   ?  ?  ?    ? ? ? ?  ?  ?   ?  ?  ?    ? ?  ?  ?   ?  ?  www1",
];

const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    ":",
    ": ",
    "- ",
    "? ",
    "&a ",
    "*a",
    "[",
    "]",
    "{",
    "}",
    "\n",
    "  ",
    "!!str ",
    "'",
    "\"",
    "|",
    ">",
    "<<: ",
    "=",
    "[web]\n",
    ":children",
    "| default(",
    "~",
    "..",
    "\\",
    "#",
    "\t",
    "0x",
    "1e9",
    "null",
    "yes",
    "0a",
    "$ANSIBLE_VAULT;1.2;AES256;",
];

/// Vaulted texts ansible-vault 2.18 made with the password `fuzz` (1.1, and 1.2 with id
/// `prod`): seeds for the vault target, which decrypts with that password.
const VAULTED: [&str; 2] = [
    "$ANSIBLE_VAULT;1.1;AES256\n\
     31616166353462633038306634336637313637616639306138623133326235393639636165303331\n\
     3436633064616533656336386235346537623865383331320a396664363538363964386339646333\n\
     64323265373730613437376430643935323436663766303566663562653734336564336636313563\n\
     3962626533393736650a313564333335376338316434623932613964363435333739323563383935\n\
     30316336353230336432393966336536323465383433626539396664313463386238\n",
    "$ANSIBLE_VAULT;1.2;AES256;prod\n\
     61323363343164386366616434396634393664383036343064333662643637643937633062333839\n\
     3465333934666133613166343535336462643434343233320a383437343335316231323637373361\n\
     65663934356532613439356533353230306364643936633866346336396238653965323266383332\n\
     6265313135643032330a636165396336313962386535663231653938386362343562336136646365\n\
     3866\n",
];

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = FOUND.iter().map(|s| s.as_bytes().to_vec()).collect();
    let files = |dir: &str, ext: &str| -> Vec<Vec<u8>> {
        let Ok(entries) = fs::read_dir(root().join(dir)) else {
            return Vec::new();
        };
        let mut paths: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        paths.sort();
        paths.iter().filter_map(|p| fs::read(p).ok()).collect()
    };
    match target {
        "yaml" | "playbook" => out.extend(files("tests/conformance", "yml")),
        "template" => {
            for file in files("tests/templating", "txt") {
                let text = String::from_utf8_lossy(&file).into_owned();
                // Not as seeds: password hashing (slow by design: bcrypt's work factor) and
                // lookups (a mutated `pipe` lookup would run random shell commands).
                let unfit = ["password_hash", "lookup", "query", "q(", "range("];
                out.extend(
                    text.lines()
                        .filter(|l| !l.starts_with('#') && !l.is_empty())
                        .filter(|l| !unfit.iter().any(|u| l.contains(u)))
                        .map(|l| l.as_bytes().to_vec()),
                );
            }
        }
        "vault" => {
            for envelope in VAULTED {
                out.push([b"\x00", envelope.as_bytes()].concat());
            }
            out.push(b"\x01db_password: hunter2\n".to_vec());
            out.push(b"\x03".to_vec());
        }
        _ => {
            let ini = "[web]\nw[1:3] ansible_port=22\n[db]\ndb1 x=1\n[all:children]\nweb\ndb\n[web:vars]\nv=\"{{ x }}\"\n";
            let yml = "all:\n  children:\n    web:\n      hosts:\n        w1: {ansible_host: 1.2.3.4}\n      vars: {a: [1, 2]}\n";
            out.push([b"\x00", ini.as_bytes()].concat());
            out.push([b"\x01", yml.as_bytes()].concat());
        }
    }
    out
}

fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..6) {
        let at = rng.random_range(0..=data.len());
        match rng.random_range(0..5) {
            0 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                data.splice(at..at, token.iter().copied());
            }
            1 if at < data.len() => data[at] = rng.random(),
            2 if at < data.len() => {
                let end = (at + rng.random_range(1..16)).min(data.len());
                data.drain(at..end);
            }
            3 if at < data.len() => {
                let end = (at + rng.random_range(1..64)).min(data.len());
                let piece: Vec<u8> = data[at..end].to_vec();
                data.splice(at..at, piece);
            }
            _ => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                let from = rng.random_range(0..=other.len());
                let to = (from + rng.random_range(0..128)).min(other.len());
                data.splice(at..at, other[from..to].iter().copied());
            }
        }
    }
    data
}

/// A fuzz target: its name and its body.
type Target = (&'static str, fn(&[u8]));

#[test]
#[allow(clippy::print_stderr)] // the totals, shown with --no-capture
fn the_fuzz_targets_survive_seeds_and_mutations() {
    let secs: u64 = std::env::var("FERRY_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let seed: u64 = std::env::var("FERRY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let targets: [Target; 5] = [
        ("yaml", ferry::fuzzing::yaml),
        ("playbook", ferry::fuzzing::playbook),
        ("template", ferry::fuzzing::template),
        ("inventory", ferry::fuzzing::inventory),
        ("vault", ferry::fuzzing::vault),
    ];
    for (name, run) in targets {
        let mut rng = StdRng::seed_from_u64(seed);
        let seeds = seeds(name);
        assert!(!seeds.is_empty(), "{name}: no seeds");
        let started = Instant::now();
        let mut runs = 0u64;
        let mut inputs = seeds.clone().into_iter();
        while started.elapsed() < Duration::from_secs(secs) {
            let data = inputs.next().unwrap_or_else(|| mutate(&mut rng, &seeds));
            let one = Instant::now();
            run(&data);
            assert!(
                one.elapsed() < Duration::from_secs(2),
                "{name} took {:?} on {:?} (FERRY_FUZZ_SEED={seed})",
                one.elapsed(),
                String::from_utf8_lossy(&data)
            );
            runs += 1;
        }
        eprintln!("fuzz smoke {name}: {runs} inputs in {secs}s, seed {seed}, no panic");
    }
}
