//! `bundle`: build the plugin and assemble `target/bundle/onnxfx.ofx.bundle` from `bundles/`.
//!
//! Layout (what OFX hosts look for on Linux):
//! `Contents/{Info.plist, Linux-x86-64/onnxfx.ofx, Linux-x86-64/<runtime library>, Resources/...}`.
//! The pretrained models stay out unless `--with-models`: the bundle stays lean, and users pick models.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};

use crate::deps::Deps;
use crate::workspace::{self, Workspace};
use crate::{cmd, soname, symbols};

#[derive(clap::Args, Default)]
pub struct Options {
    /// Build the plugin with the dev profile (quicker to build, slower to render).
    #[arg(long)]
    pub debug: bool,
    /// Also ship the pretrained models of deps.toml (target/deps/models/) and the zoo that
    /// `cargo xtask models` built (target/zoo/) in Contents/Resources/models/.
    #[arg(long)]
    pub with_models: bool,
}

const PLATFORM_DIR: &str = "Linux-x86-64";
const PLUGIN_FILE: &str = "onnxfx.ofx";
/// Template files whose `@NAME@` placeholders are filled in.
const TEXT_EXTENSIONS: [&str; 3] = ["plist", "md", "txt"];
/// Cards and models live here, one `<stem>.md` card per `<stem>.onnx`.
const MODELS_DIR: &str = "Contents/Resources/models";

/// Everything the assembly takes; gathered first so `assemble` is testable without cargo.
struct Inputs {
    template: PathBuf,
    plugin: PathBuf,
    runtime: PathBuf,
    /// Files copied into `Contents/Resources/licenses/`, with their names there.
    licences: Vec<(PathBuf, String)>,
    models: Vec<PathBuf>,
    substitutions: Vec<(&'static str, String)>,
}

/// Builds and assembles the bundle from the files `fetch` extracted; returns its path.
pub fn run(ws: &Workspace, deps: &Deps, options: &Options) -> Result<PathBuf> {
    cmd::step("bundle: build the plugin (cargo build -p onnxfx)");
    let mut build = cmd::cargo_cmd(["build", "-p", "onnxfx"]);
    if !options.debug {
        build.arg("--release");
    }
    cmd::run(&mut build)?;
    let profile = if options.debug { "debug" } else { "release" };
    let plugin = ws.target.join(profile).join("libonnxfx.so");

    cmd::step("bundle: assemble");
    let deps_dir = ws.deps_dir();
    let runtime_package = deps
        .packages
        .iter()
        .find(|p| p.name == deps.runtime.package)
        .context("deps.toml names no runtime package")?;
    let runtime_path = deps.runtime_library_path();
    // The runtime's licence and notices, extracted from its own wheel, go beside our notice.
    let licences: Vec<(PathBuf, String)> = runtime_package
        .extract
        .iter()
        .filter(|e| e.to != runtime_path)
        .map(|e| (deps_dir.join(&e.to), e.to.clone()))
        .collect();
    let mut licences: Vec<(PathBuf, String)> = licences;
    let models = if options.with_models {
        let mut models = shipped_models(ws, deps);
        let (zoo_models, zoo_licences) = zoo_files(&ws.zoo_dir())?;
        models.extend(zoo_models);
        licences.extend(zoo_licences);
        models
    } else {
        Vec::new()
    };
    let inputs = Inputs {
        template: ws.bundle_template(),
        plugin,
        runtime: deps_dir.join(&runtime_path),
        licences,
        models,
        substitutions: vec![
            ("@VERSION@", ws.plugin_version.clone()),
            ("@ORT_VERSION@", deps.runtime.version.clone()),
            ("@ORT_LIBRARY@", deps.runtime.library.clone()),
        ],
    };
    let bundle = ws.bundle_dir();
    assemble(&inputs, &bundle, &deps.runtime.library)?;

    let runtime = bundle
        .join("Contents")
        .join(PLATFORM_DIR)
        .join(&deps.runtime.library);
    soname::rename(&runtime, soname::BUNDLED_SONAME)?;
    println!("runtime SONAME: {}", soname::read(&runtime)?);

    cmd::step("bundle: check the plugin's exports and links");
    let binary = bundle.join("Contents").join(PLATFORM_DIR).join(PLUGIN_FILE);
    let linkage = symbols::check_plugin(&binary)?;
    println!(
        "exports {:?}; needs {:?}",
        linkage.exported_functions, linkage.needed
    );

    let size = workspace::tree_size(&bundle)?;
    println!(
        "bundle: {} ({:.1} MiB{})",
        bundle.display(),
        size as f64 / (1024.0 * 1024.0),
        if options.with_models {
            ", with models"
        } else {
            ""
        }
    );
    Ok(bundle)
}

/// The pretrained models of deps.toml that `--with-models` ships (where `fetch` extracted them); the
/// benchmark times each of them.
pub fn shipped_models(ws: &Workspace, deps: &Deps) -> Vec<PathBuf> {
    deps.packages
        .iter()
        .flat_map(|p| &p.extract)
        .filter(|e| e.to.starts_with("models/") && e.to.ends_with(".onnx"))
        .map(|e| ws.deps_dir().join(&e.to))
        .collect()
}

/// A licence file and its path under the bundle's licence folder.
type Licence = (PathBuf, String);

/// The models `cargo xtask models` built (target/zoo/*.onnx) and the licence files that travel with
/// them (target/zoo/licenses/<model>/...).
fn zoo_files(zoo: &Path) -> Result<(Vec<PathBuf>, Vec<Licence>)> {
    ensure!(
        zoo.join("zoo.json").is_file(),
        "{} has no zoo.json: run `cargo xtask models` first",
        zoo.display()
    );
    let mut models = Vec::new();
    for entry in fs::read_dir(zoo)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "onnx") {
            models.push(path);
        }
    }
    models.sort();
    let mut licences = Vec::new();
    let licence_root = zoo.join("licenses");
    if licence_root.is_dir() {
        for model in fs::read_dir(&licence_root)? {
            let model = model?.path();
            for file in fs::read_dir(&model)? {
                let file = file?.path();
                let relative = file
                    .strip_prefix(&licence_root)
                    .context("licence path")?
                    .to_string_lossy()
                    .into_owned();
                licences.push((file, relative));
            }
        }
    }
    Ok((models, licences))
}

/// Lays the bundle out afresh at `out` (stale files from an earlier layout never survive).
fn assemble(inputs: &Inputs, out: &Path, runtime_library: &str) -> Result<()> {
    for input in [&inputs.plugin, &inputs.runtime]
        .into_iter()
        .chain(inputs.licences.iter().map(|(path, _)| path))
        .chain(&inputs.models)
    {
        ensure!(input.is_file(), "{} is missing", input.display());
    }
    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("removing {}", out.display()))?;
    }
    copy_template(
        &inputs.template,
        out,
        Path::new(""),
        &inputs.substitutions,
        !inputs.models.is_empty(),
    )?;

    let binaries = out.join("Contents").join(PLATFORM_DIR);
    fs::create_dir_all(&binaries)?;
    copy_executable(&inputs.plugin, &binaries.join(PLUGIN_FILE))?;
    copy_executable(&inputs.runtime, &binaries.join(runtime_library))?;

    let licences = out.join("Contents/Resources/licenses");
    for (from, name) in &inputs.licences {
        copy(from, &licences.join(name))?;
    }
    let models = out.join(MODELS_DIR);
    for model in &inputs.models {
        let name = model.file_name().context("model path has no file name")?;
        let card = models.join(Path::new(name).with_extension("md"));
        ensure!(
            card.is_file(),
            "no model card {} in the template: every shipped model needs one",
            card.display()
        );
        copy(model, &models.join(name))?;
    }
    Ok(())
}

/// Copies the template tree, filling placeholders in text files. Model cards come only with their models.
fn copy_template(
    from: &Path,
    to: &Path,
    relative: &Path,
    substitutions: &[(&str, String)],
    with_models: bool,
) -> Result<()> {
    if relative == Path::new(MODELS_DIR) && !with_models {
        return Ok(());
    }
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut entries: Vec<_> = fs::read_dir(from)
        .with_context(|| format!("reading {}", from.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let (source, target) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_template(
                &source,
                &target,
                &relative.join(&name),
                substitutions,
                with_models,
            )?;
        } else if is_text_template(&source) {
            let text = fs::read_to_string(&source)
                .with_context(|| format!("reading {}", source.display()))?;
            let filled = fill(&text, substitutions)
                .with_context(|| format!("in template {}", source.display()))?;
            fs::write(&target, filled).with_context(|| format!("writing {}", target.display()))?;
        } else {
            copy(&source, &target)?;
        }
    }
    Ok(())
}

fn is_text_template(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT_EXTENSIONS.contains(&e))
}

/// Replaces each `@NAME@`; a placeholder left over is a typo in the template, so it fails.
fn fill(text: &str, substitutions: &[(&str, String)]) -> Result<String> {
    let mut filled = text.to_owned();
    for (key, value) in substitutions {
        filled = filled.replace(key, value);
    }
    if let Some(left) = leftover_placeholder(&filled) {
        bail!("unknown placeholder {left}");
    }
    Ok(filled)
}

fn leftover_placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(start) = rest.find('@') {
        let after = &rest[start + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('@') {
            return Some(&rest[start..start + name_len + 2]);
        }
        rest = after;
    }
    None
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Shared objects keep the usual 0755, whatever mode the build or the archive gave them.
fn copy_executable(from: &Path, to: &Path) -> Result<()> {
    copy(from, to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("setting the mode of {}", to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-bundle-{}-{name}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).unwrap();
        }
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn fills_placeholders_and_rejects_unknown_ones() {
        let subs = [("@VERSION@", "1.2.3".to_owned())];
        assert_eq!(fill("v@VERSION@ a@b.c", &subs).unwrap(), "v1.2.3 a@b.c");
        assert!(fill("@VERSIO@", &subs).is_err());
        assert_eq!(leftover_placeholder("mail@x.org @@ @a@"), None);
    }

    fn inputs(dir: &Path, models: Vec<PathBuf>) -> Inputs {
        write(
            &dir.join("template/Contents/Info.plist"),
            "<string>@VERSION@</string>",
        );
        write(
            &dir.join("template/Contents/Resources/README.md"),
            "runtime @ORT_LIBRARY@",
        );
        write(&dir.join("template/Contents/Resources/models/m.md"), "card");
        write(&dir.join("plugin.so"), "plugin");
        write(&dir.join("runtime.so"), "runtime");
        write(&dir.join("LICENSE"), "MIT");
        write(&dir.join("m.onnx"), "model");
        Inputs {
            template: dir.join("template"),
            plugin: dir.join("plugin.so"),
            runtime: dir.join("runtime.so"),
            licences: vec![(dir.join("LICENSE"), "onnxruntime/LICENSE".into())],
            models,
            substitutions: vec![
                ("@VERSION@", "0.1.0".into()),
                ("@ORT_LIBRARY@", "libort.so.1".into()),
            ],
        }
    }

    #[test]
    fn assembles_the_layout_without_models() {
        let dir = scratch("lean");
        let out = dir.join("out.bundle");
        // A stale file from an earlier layout must not survive.
        write(&out.join("Contents/stale"), "old");
        assemble(&inputs(&dir, Vec::new()), &out, "libort.so.1").unwrap();
        let read = |p: &str| fs::read_to_string(out.join(p)).unwrap();
        assert_eq!(read("Contents/Info.plist"), "<string>0.1.0</string>");
        assert_eq!(read("Contents/Resources/README.md"), "runtime libort.so.1");
        assert_eq!(read("Contents/Linux-x86-64/onnxfx.ofx"), "plugin");
        assert_eq!(read("Contents/Linux-x86-64/libort.so.1"), "runtime");
        assert_eq!(
            read("Contents/Resources/licenses/onnxruntime/LICENSE"),
            "MIT"
        );
        assert!(!out.join("Contents/stale").exists());
        assert!(!out.join(MODELS_DIR).exists());
        let mode = fs::metadata(out.join("Contents/Linux-x86-64/onnxfx.ofx"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    #[test]
    fn ships_models_with_their_cards_only() {
        let dir = scratch("models");
        let out = dir.join("out.bundle");
        let with = inputs(&dir, vec![dir.join("m.onnx")]);
        assemble(&with, &out, "libort.so.1").unwrap();
        assert!(out.join(MODELS_DIR).join("m.onnx").is_file());
        assert!(out.join(MODELS_DIR).join("m.md").is_file());

        write(&dir.join("uncarded.onnx"), "model");
        let without_card = inputs(&dir, vec![dir.join("uncarded.onnx")]);
        let err = format!("{:#}", assemble(&without_card, &out, "x").unwrap_err());
        assert!(err.contains("no model card"), "{err}");
    }

    #[test]
    fn the_repository_template_fills() {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bundles/onnxfx.ofx.bundle");
        let dir = scratch("repo");
        let subs = vec![
            ("@VERSION@", "9.9.9".to_owned()),
            ("@ORT_VERSION@", "1.31.1".to_owned()),
            ("@ORT_LIBRARY@", "libonnxruntime.so.1.31.1".to_owned()),
        ];
        copy_template(&template, &dir, Path::new(""), &subs, true).unwrap();
        let plist = fs::read_to_string(dir.join("Contents/Info.plist")).unwrap();
        assert!(plist.contains("<key>CFBundleExecutable</key>"));
        assert!(plist.contains("<string>onnxfx.ofx</string>"));
        assert!(plist.contains("<string>9.9.9</string>"));
        assert!(dir.join(MODELS_DIR).join("ppocr-v4-det.md").is_file());
    }
}
