//! Gives the bundled ONNX Runtime a SONAME of its own.
//!
//! The wheel's library calls itself `libonnxruntime.so.1`. The dynamic loader treats an already loaded
//! object whose SONAME equals a requested name as that library, so once the plugin had loaded its copy, a
//! host that later asks for `libonnxruntime.so.1` (its own runtime, maybe another version) would silently
//! get ours. Renaming the SONAME inside our copy removes that clash; the plugin loads the file by absolute
//! path and never by SONAME, so nothing else changes.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use object::elf;
use object::read::elf::ElfFile64;
use object::{Endianness, Object, ObjectSection};

/// The SONAME our copy gets: no shorter than needed, never longer than the original (it is rewritten in
/// place, inside the existing string table).
pub const BUNDLED_SONAME: &str = "libonnxfx-ort.so.1";

/// Rewrites the DT_SONAME string of the ELF file at `path` to `new` (NUL-padded), in place.
pub fn rename(path: &Path, new: &str) -> Result<()> {
    let mut data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (offset, old_len) = soname_location(&data)
        .with_context(|| format!("finding the SONAME of {}", path.display()))?;
    ensure!(
        new.len() <= old_len,
        "the new SONAME {new:?} is longer than the old one ({old_len} bytes)"
    );
    let slot = &mut data[offset..offset + old_len];
    slot.fill(0);
    slot[..new.len()].copy_from_slice(new.as_bytes());
    std::fs::write(path, &data).with_context(|| format!("writing {}", path.display()))
}

/// The current SONAME of the ELF file at `path`.
pub fn read(path: &Path) -> Result<String> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (offset, len) = soname_location(&data)?;
    Ok(String::from_utf8_lossy(&data[offset..offset + len]).into_owned())
}

/// File offset and length of the SONAME string.
fn soname_location(data: &[u8]) -> Result<(usize, usize)> {
    let file = ElfFile64::<Endianness>::parse(data).context("not a 64-bit ELF file")?;
    let table = file.elf_dynamic_table().context("no dynamic section")?;
    let entry = table
        .iter()
        .find(|e| e.tag == elf::DT_SONAME)
        .context("no DT_SONAME entry")?;
    let string_offset = usize::try_from(entry.val).context("SONAME offset out of range")?;
    let dynstr = file
        .section_by_name(".dynstr")
        .context("no .dynstr section")?;
    let (start, size) = dynstr.file_range().context(".dynstr has no file data")?;
    let table_start = usize::try_from(start)?;
    let table_end = table_start + usize::try_from(size)?;
    let start = table_start + string_offset;
    ensure!(
        start < table_end && table_end <= data.len(),
        "SONAME offset outside .dynstr"
    );
    let len = data[start..table_end]
        .iter()
        .position(|b| *b == 0)
        .context("unterminated SONAME")?;
    Ok((start, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_the_soname_of_a_real_library_in_place() {
        // The C library every test process has mapped: a real ELF with a SONAME.
        let libc = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
        ]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .expect("libc.so.6");
        let copy = std::env::temp_dir().join(format!("xtask-soname-{}.so", std::process::id()));
        std::fs::copy(libc, &copy).unwrap();
        assert_eq!(read(&copy).unwrap(), "libc.so.6");
        let before = std::fs::metadata(&copy).unwrap().len();
        rename(&copy, "libz.so.1").unwrap();
        assert_eq!(read(&copy).unwrap(), "libz.so.1");
        assert_eq!(std::fs::metadata(&copy).unwrap().len(), before);
        assert!(rename(&copy, "a-name-longer-than-the-old-one.so").is_err());
        std::fs::remove_file(&copy).unwrap();
    }
}
