//! What the plugin binary exports and links: read from its ELF dynamic tables with `object`.
//!
//! A host only calls `OfxGetNumberOfPlugins` and `OfxGetPlugin`; anything else exported can clash with the
//! host's or another plugin's symbols. The runtime must not be a DT_NEEDED entry: the loader would search
//! the host's paths for it, while the plugin loads it by absolute path from inside the bundle.

use std::path::Path;

use anyhow::{Context, Result, bail};
use object::elf;
use object::read::elf::ElfFile64;
use object::{Endianness, Object, ObjectSymbol, SymbolKind};

/// The entry points OFX defines for a plugin binary.
pub const OFX_ENTRY_POINTS: [&str; 2] = ["OfxGetNumberOfPlugins", "OfxGetPlugin"];

#[derive(Debug)]
pub struct Linkage {
    /// Functions the binary defines and exports, sorted.
    pub exported_functions: Vec<String>,
    /// DT_NEEDED entries.
    pub needed: Vec<String>,
}

pub fn read(path: &Path) -> Result<Linkage> {
    let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let file = ElfFile64::<Endianness>::parse(&*data)
        .with_context(|| format!("{} is not a 64-bit ELF file", path.display()))?;
    let mut exported_functions: Vec<String> = file
        .dynamic_symbols()
        .filter(|s| s.is_definition() && s.is_global() && s.kind() == SymbolKind::Text)
        .filter_map(|s| s.name().ok().map(str::to_owned))
        .collect();
    exported_functions.sort();
    exported_functions.dedup();

    let table = file
        .elf_dynamic_table()
        .with_context(|| format!("reading the dynamic section of {}", path.display()))?;
    let mut needed = Vec::new();
    for entry in &table {
        if entry.tag == elf::DT_NEEDED {
            let name = table.string(entry).context("reading a DT_NEEDED name")?;
            needed.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    Ok(Linkage {
        exported_functions,
        needed,
    })
}

/// Fails unless the binary exports exactly the OFX entry points and does not link the runtime.
pub fn check_plugin(path: &Path) -> Result<Linkage> {
    let linkage = read(path)?;
    check_linkage(&linkage).with_context(|| format!("checking {}", path.display()))?;
    Ok(linkage)
}

fn check_linkage(linkage: &Linkage) -> Result<()> {
    let exported = &linkage.exported_functions;
    if exported.is_empty() {
        bail!(
            "the plugin exports no functions: it must export {OFX_ENTRY_POINTS:?} \
             (is the plugin registered with ofx-sdk's export macro in src/lib.rs?)"
        );
    }
    let missing: Vec<&str> = OFX_ENTRY_POINTS
        .iter()
        .copied()
        .filter(|name| !exported.iter().any(|e| e == name))
        .collect();
    let extra: Vec<&str> = exported
        .iter()
        .map(String::as_str)
        .filter(|e| !OFX_ENTRY_POINTS.contains(e))
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        bail!(
            "the plugin must export exactly {OFX_ENTRY_POINTS:?}; missing {missing:?}, unexpected {extra:?}"
        );
    }
    if let Some(runtime) = linkage
        .needed
        .iter()
        .find(|n| n.starts_with("libonnxruntime"))
    {
        bail!(
            "the plugin links {runtime} (DT_NEEDED); it must load the runtime at run time by \
             absolute path (ort's load-dynamic), not through the dynamic linker"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    /// Builds a tiny shared library with the system C compiler; `None` where there is no `cc`.
    fn shared_library(name: &str, source: &str, link: &[&str]) -> Option<PathBuf> {
        let dir = std::env::temp_dir().join(format!("xtask-symbols-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = dir.join(format!("{name}.c"));
        std::fs::write(&c, source).unwrap();
        let so = dir.join(format!("lib{name}.so"));
        let status = Command::new("cc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&so)
            .arg(&c)
            .args(link)
            .status()
            .ok()?;
        status.success().then_some(so)
    }

    const ENTRY_POINTS: &str = "int OfxGetNumberOfPlugins(void) { return 1; }\n\
         void *OfxGetPlugin(int i) { (void)i; return 0; }\n\
         __attribute__((visibility(\"hidden\"))) int helper(void) { return 2; }\n";

    #[test]
    fn accepts_exactly_the_entry_points() {
        let Some(so) = shared_library("good", ENTRY_POINTS, &[]) else {
            return;
        };
        let linkage = check_plugin(&so).unwrap();
        assert_eq!(linkage.exported_functions, OFX_ENTRY_POINTS);
    }

    #[test]
    fn rejects_extra_exports_and_missing_entry_points() {
        let source = format!("{ENTRY_POINTS}int leaked(void) {{ return 3; }}\n");
        let Some(so) = shared_library("extra", &source, &[]) else {
            return;
        };
        let err = format!("{:#}", check_plugin(&so).unwrap_err());
        assert!(err.contains("unexpected [\"leaked\"]"), "{err}");

        let Some(so) = shared_library("none", "static int x;\n", &[]) else {
            return;
        };
        let err = format!("{:#}", check_plugin(&so).unwrap_err());
        assert!(err.contains("exports no functions"), "{err}");
    }

    #[test]
    fn reads_needed_libraries() {
        let Some(so) = shared_library("needs", ENTRY_POINTS, &["-Wl,--no-as-needed", "-lm"]) else {
            return;
        };
        let linkage = read(&so).unwrap();
        assert!(linkage.needed.iter().any(|n| n.starts_with("libm.so")));
    }

    #[test]
    fn rejects_a_linked_runtime() {
        let linkage = Linkage {
            exported_functions: OFX_ENTRY_POINTS.map(String::from).to_vec(),
            needed: vec!["libc.so.6".into(), "libonnxruntime.so.1.31.1".into()],
        };
        let err = format!("{:#}", check_linkage(&linkage).unwrap_err());
        assert!(err.contains("DT_NEEDED"), "{err}");
    }
}
