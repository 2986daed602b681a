//! A small zip writer: deflated entries with fixed timestamps, so the same files always give
//! the same bytes (and the same content hash). Python's `zipimport` reads it.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;

/// A zip archive being written in memory.
#[derive(Default)]
pub(crate) struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

/// 1980-01-01 00:00, the earliest time a zip entry can carry.
const DOS_DATE: u16 = (1 << 5) | 1;

impl ZipWriter {
    /// Adds file `name` (a `/`-separated path) holding `data`.
    pub(crate) fn add(&mut self, name: &str, data: &[u8]) {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        // Writing into a Vec cannot fail.
        let _ = enc.write_all(data);
        let packed = enc.finish().unwrap_or_default();
        let crc = crc32fast::hash(data);
        let offset = self.out.len() as u32;
        let common = |buf: &mut Vec<u8>| {
            put16(buf, 20); // version needed: 2.0
            put16(buf, 0); // flags
            put16(buf, 8); // deflate
            put16(buf, 0); // time
            put16(buf, DOS_DATE);
            put32(buf, crc);
            put32(buf, packed.len() as u32);
            put32(buf, data.len() as u32);
            put16(buf, name.len() as u16);
            put16(buf, 0); // extra field length
        };
        put32(&mut self.out, 0x0403_4b50);
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(&packed);

        put32(&mut self.central, 0x0201_4b50);
        put16(&mut self.central, 0x0314); // made by: unix, 2.0
        common(&mut self.central);
        put16(&mut self.central, 0); // comment length
        put16(&mut self.central, 0); // disk number
        put16(&mut self.central, 0); // internal attributes
        put32(&mut self.central, 0o100644 << 16); // external: a regular file, rw-r--r--
        put32(&mut self.central, offset);
        self.central.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    /// The archive's bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let start = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.append(&mut self.central);
        put32(&mut self.out, 0x0605_4b50);
        put16(&mut self.out, 0);
        put16(&mut self.out, 0);
        put16(&mut self.out, self.entries);
        put16(&mut self.out, self.entries);
        put32(&mut self.out, size);
        put32(&mut self.out, start);
        put16(&mut self.out, 0);
        self.out
    }
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's own zipfile module reads what we write.
    #[test]
    fn python_reads_the_archive() {
        let mut z = ZipWriter::default();
        z.add("pkg/__init__.py", b"");
        z.add("pkg/mod.py", b"VALUE = 'hello' * 100\n");
        let bytes = z.finish();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys; sys.path.insert(0, sys.argv[1]); import pkg.mod; print(len(pkg.mod.VALUE))"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "500",
            "{out:?}"
        );
    }
}
