//! `onnxfx-manifest`: show, check, write and start model manifests (docs/manifest.md), without ONNX
//! Runtime: the model's protobuf is read at the wire level.
//!
//! Exit status: 0 success, 1 an invalid manifest or a file that cannot be read or written, 2 usage.
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use onnxfx::manifest::{
    self, Document, Error, Layer, METADATA_KEY, ModelDescription, Origin, Overrides, Resolved,
    Warning, onnx,
};
use serde::Serialize;

const USAGE: &str = "\
usage: onnxfx-manifest COMMAND ...

  show MODEL [--json]          the effective manifest of MODEL, where it comes from, where each value
                               comes from, and any warnings
  check MODEL|MANIFEST.json [--strict]
                               validate a model's manifest, or a manifest file (against its model when
                               it is a sidecar X.onnx.json next to X.onnx); --strict fails on warnings
  write MODEL MANIFEST.json    validate MANIFEST.json against MODEL and embed it in MODEL's
                               metadata_props (key \"onnxfx.manifest\"), replacing any earlier one;
                               MANIFEST.json may be - for standard input
  remove MODEL                 remove the embedded manifest
  template MODEL               print a complete manifest inferred from MODEL's graph and standard
                               image keys (ignoring any manifest already there), to edit and write

Precedence, lowest first: defaults < graph < ONNX Image.* keys < embedded manifest < sidecar
(MODEL.json, e.g. model.onnx.json) < the effect's parameters. Schema: docs/manifest.md.
";

/// What went wrong, and the exit status it gives.
enum Failure {
    Usage(String),
    Failed(String),
    /// Standard output was closed (`| head`): stop quietly.
    BrokenPipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Failed(describe_error(&e))
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Failed(format!("cannot write the output: {e}"))
        }
    }
}

/// One line per field error, so that several problems read as a list.
fn describe_error(e: &Error) -> String {
    let fields = e.field_errors();
    if fields.is_empty() {
        return format!("error: {e}");
    }
    let mut text = format!(
        "error: the model description is not valid ({} problem{}):",
        fields.len(),
        plural(fields.len())
    );
    for f in fields {
        text.push_str(&format!("\n  - {f}"));
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            let _ = writeln!(io::stderr(), "onnxfx-manifest: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            let _ = writeln!(io::stderr(), "{message}");
            ExitCode::from(1)
        }
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
    }
}

/// Splits arguments into positional ones and the flags in `known`.
fn parse<'a>(
    args: &'a [OsString],
    known: &[&str],
) -> Result<(Vec<&'a OsString>, Vec<String>), Failure> {
    let mut positional = Vec::new();
    let mut flags = Vec::new();
    for arg in args {
        match arg.to_str() {
            Some(flag) if flag.starts_with("--") => {
                if !known.contains(&flag) {
                    return Err(Failure::Usage(format!("unknown option {flag}")));
                }
                flags.push(flag.to_string());
            }
            _ => positional.push(arg),
        }
    }
    Ok((positional, flags))
}

fn run(args: &[OsString]) -> Result<ExitCode, Failure> {
    let Some(command) = args.first().and_then(|c| c.to_str()) else {
        return Err(Failure::Usage("no command".to_string()));
    };
    let rest = &args[1..];
    let one = |positional: &[&OsString], what: &str| -> Result<PathBuf, Failure> {
        match positional {
            [path] => Ok(PathBuf::from(path)),
            _ => Err(Failure::Usage(format!("{command} takes {what}"))),
        }
    };
    match command {
        "show" => {
            let (positional, flags) = parse(rest, &["--json"])?;
            show(
                &one(&positional, "one MODEL")?,
                flags.iter().any(|f| f == "--json"),
            )
        }
        "check" => {
            let (positional, flags) = parse(rest, &["--strict"])?;
            check(
                &one(&positional, "one MODEL or MANIFEST.json")?,
                flags.iter().any(|f| f == "--strict"),
            )
        }
        "write" => {
            let (positional, _) = parse(rest, &[])?;
            let [model, json] = positional.as_slice() else {
                return Err(Failure::Usage(
                    "write takes MODEL MANIFEST.json".to_string(),
                ));
            };
            write(Path::new(model), Path::new(json))
        }
        "remove" => {
            let (positional, _) = parse(rest, &[])?;
            remove(&one(&positional, "one MODEL")?)
        }
        "template" => {
            let (positional, _) = parse(rest, &[])?;
            template(&one(&positional, "one MODEL")?)
        }
        "help" | "--help" | "-h" => {
            io::stdout().write_all(USAGE.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        other => Err(Failure::Usage(format!("unknown command \"{other}\""))),
    }
}

fn print_warnings(out: &mut impl Write, warnings: &[Warning]) -> io::Result<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    writeln!(out, "warnings:")?;
    for w in warnings {
        writeln!(out, "  - {w}")?;
    }
    Ok(())
}

fn format_numbers(values: &[f32]) -> String {
    let parts: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
    format!("[{}]", parts.join(", "))
}

#[derive(Serialize)]
struct ShowJson<'a, M: Serialize> {
    model: &'a Path,
    source: &'a manifest::DocumentSource,
    warnings: Vec<String>,
    manifest: M,
    /// Fields set by a layer other than the defaults.
    provenance: &'a manifest::Provenance,
}

fn show(model: &Path, json: bool) -> Result<ExitCode, Failure> {
    let description = ModelDescription::read(model)?;
    let resolved = description.resolve(&Overrides::default())?;
    let mut out = io::stdout().lock();
    if json {
        let view = ShowJson {
            model,
            source: &resolved.source,
            warnings: resolved.warnings.iter().map(ToString::to_string).collect(),
            manifest: resolved.manifest.document(),
            provenance: &resolved.provenance,
        };
        let text =
            serde_json::to_string_pretty(&view).map_err(|e| Failure::Failed(e.to_string()))?;
        writeln!(out, "{text}")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "model: {}", model.display())?;
    writeln!(out, "manifest: {}", resolved.source)?;
    print_warnings(&mut out, &resolved.warnings)?;
    writeln!(out, "effective manifest:")?;
    writeln!(out, "{}", resolved.manifest.to_json_pretty())?;
    print_provenance(&mut out, &resolved)?;
    writeln!(
        out,
        "pixel maps (x_model = x * scale + offset, per tensor channel):"
    )?;
    let inputs = resolved
        .manifest
        .inputs
        .iter()
        .map(|i| ("inputs", &i.name, &i.format));
    let outputs = resolved
        .manifest
        .outputs
        .iter()
        .map(|o| ("outputs", &o.name, &o.format));
    for (kind, name, format) in inputs.chain(outputs) {
        writeln!(
            out,
            "  {kind} \"{name}\" ({}): scale {}, offset {}",
            format.channels.name(),
            format_numbers(format.affine.scale()),
            format_numbers(format.affine.offset())
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_provenance(out: &mut impl Write, resolved: &Resolved) -> io::Result<()> {
    let fields: Vec<(&str, Layer)> = resolved.provenance.iter().collect();
    if fields.is_empty() {
        return writeln!(out, "every value is a default");
    }
    writeln!(out, "values that are not defaults:")?;
    let width = fields.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
    for (path, layer) in fields {
        writeln!(out, "  {path:width$}  {}", layer.name())?;
    }
    Ok(())
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn check(path: &Path, strict: bool) -> Result<ExitCode, Failure> {
    let resolved = if is_json(path) {
        let origin = Origin::Sidecar(path.to_path_buf());
        let bytes = manifest::read_bounded(path, &origin)?;
        // X.onnx.json next to X.onnx is X.onnx's sidecar: check it as the effect would read it.
        let model = path.with_extension("");
        if model
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
            && model.is_file()
        {
            let summary = onnx::read_summary(&model)?;
            ModelDescription::from_parts(&model, summary, Some(bytes))?
                .resolve(&Overrides::default())?
        } else {
            let (document, mut warnings) = Document::parse_bytes(&bytes, &origin)?;
            let mut resolved =
                document.resolve(Layer::Sidecar, &origin, None, &Overrides::default())?;
            warnings.append(&mut resolved.warnings);
            resolved.warnings = warnings;
            resolved
        }
    } else {
        ModelDescription::read(path)?.resolve(&Overrides::default())?
    };
    let mut out = io::stdout().lock();
    print_warnings(&mut out, &resolved.warnings)?;
    if strict && !resolved.warnings.is_empty() {
        return Err(Failure::Failed(format!(
            "error: {} warning{} (--strict)",
            resolved.warnings.len(),
            plural(resolved.warnings.len())
        )));
    }
    writeln!(out, "ok: {} ({})", path.display(), resolved.source)?;
    Ok(ExitCode::SUCCESS)
}

fn write(model: &Path, json: &Path) -> Result<ExitCode, Failure> {
    let bytes = if json == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .take(manifest::MAX_DOCUMENT_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Failed(format!("error: cannot read standard input: {e}")))?;
        bytes
    } else {
        manifest::read_bounded(json, &Origin::Sidecar(json.to_path_buf()))?
    };
    if bytes.len() as u64 > manifest::MAX_DOCUMENT_BYTES {
        return Err(Failure::Failed(format!(
            "error: the manifest is larger than {} bytes",
            manifest::MAX_DOCUMENT_BYTES
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Failed(format!("error: {} is not UTF-8 text", json.display())))?;
    let resolved = manifest::embed_manifest(model, text.trim())?;
    let mut out = io::stdout().lock();
    print_warnings(&mut out, &resolved.warnings)?;
    writeln!(
        out,
        "wrote the manifest into {} (metadata_props key \"{METADATA_KEY}\")",
        model.display()
    )?;
    let sidecar = manifest::sidecar_path(model);
    if sidecar.exists() {
        writeln!(
            out,
            "note: {} exists and replaces the embedded manifest when the model is read",
            sidecar.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(model: &Path) -> Result<ExitCode, Failure> {
    let removed = manifest::remove_manifest(model)?;
    writeln!(
        io::stdout().lock(),
        "removed {removed} manifest entr{} from {}",
        if removed == 1 { "y" } else { "ies" },
        model.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn template(model: &Path) -> Result<ExitCode, Failure> {
    let mut summary = onnx::read_summary(model)?;
    summary.metadata.retain(|e| e.key != METADATA_KEY);
    let description = ModelDescription::from_parts(model, summary, None)?;
    let resolved = description.resolve(&Overrides::default())?;
    let mut err = io::stderr().lock();
    for w in &resolved.warnings {
        writeln!(err, "warning: {w}")?;
    }
    let unknown: Vec<&str> = resolved
        .manifest
        .outputs
        .iter()
        .filter(|o| o.scale.is_none() && o.role != manifest::OutputRole::Ignore)
        .map(|o| o.name.as_str())
        .collect();
    for name in unknown {
        writeln!(
            err,
            "note: the graph does not tell the scale of output \"{name}\": add \"scale\" to it"
        )?;
    }
    writeln!(
        io::stdout().lock(),
        "{}",
        resolved.manifest.to_json_pretty()
    )?;
    Ok(ExitCode::SUCCESS)
}
