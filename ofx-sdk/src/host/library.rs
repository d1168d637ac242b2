//! Loading a plugin binary: `dlopen` with `RTLD_NOW` (so a missing symbol fails here, not in the middle
//! of a render), the optional `OfxSetHost`, then `OfxGetNumberOfPlugins`/`OfxGetPlugin`, checking each
//! `OfxPlugin` before anything is called through it.
//!
//! The binary is never unloaded (`dlclose`): plugins may leave threads or thread-local destructors
//! behind, and most hosts keep plugins loaded for the life of the process too. `Unload` is still sent
//! when the last handle to a plugin goes away.

use std::ffi::{CStr, c_int};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::ofx_str;
use crate::raw::sys::{self, OfxPlugin, OfxStatus};
use crate::status::Status;

use super::action::MainEntry;
use super::bundle;
use super::error::HostError;
use super::handles::lock;
use super::host_desc::host_struct;
use super::plugin::{Plugin, PluginCore};

/// One plugin of a binary, as `OfxGetPlugin` described it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginInfo {
    pub id: String,
    pub version_major: u32,
    pub version_minor: u32,
    /// Its index for `OfxGetPlugin`.
    pub index: usize,
    pub binary: PathBuf,
    pub bundle: Option<PathBuf>,
}

/// An `OfxGetPlugin` entry the host refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedPlugin {
    pub index: usize,
    pub reason: String,
}

pub(crate) type SetHost = unsafe extern "C" fn(*mut sys::OfxHost);

/// The entry points of one plugin, copied out of its `OfxPlugin`.
#[derive(Clone, Copy)]
pub(crate) struct RawEntry {
    pub set_host: Option<SetHost>,
    pub main: MainEntry,
}

/// How a library's plugins are hosted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Descriptors start with the spec's default properties, so a plugin reading back a property it
    /// never set gets the default. Off, they hold only their type and name and such a read fails with
    /// `kOfxStatErrUnknown`, as in MLT.
    pub spec_defaults: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            spec_defaults: true,
        }
    }
}

pub(crate) struct LibraryInner {
    pub binary: PathBuf,
    pub bundle: Option<PathBuf>,
    pub options: LoadOptions,
    get_number: GetNumber,
    get_plugin: GetPlugin,
    /// The address `OfxGetPlugin` returned for each listed plugin, to check the answers stay put.
    addresses: Vec<usize>,
    plugins: Vec<(PluginInfo, RawEntry)>,
    rejected: Vec<RejectedPlugin>,
    /// The loaded plugin per entry, while someone holds it (so `Load` runs once at a time).
    loaded: Vec<Mutex<Weak<PluginCore>>>,
}

/// A loaded plugin binary and the plugins it exports. Cheap to clone; thread-safe.
#[derive(Clone)]
pub struct Library {
    inner: Arc<LibraryInner>,
}

/// More plugins than this in one binary is taken as a corrupt answer.
const MAX_PLUGINS: usize = 4096;

type GetNumber = unsafe extern "C" fn() -> c_int;
type GetPlugin = unsafe extern "C" fn(c_int) -> *mut OfxPlugin;
type OfxSetHost = unsafe extern "C" fn(*const sys::OfxHost) -> OfxStatus;

impl Library {
    /// Loads a bundle directory (`X.ofx.bundle`) or a `.ofx` binary and lists its plugins. No action
    /// runs yet; [`Library::plugin`] loads and describes one.
    pub fn load(path: impl AsRef<Path>) -> Result<Library, HostError> {
        Self::load_with(path, LoadOptions::default())
    }

    /// Like [`Library::load`], hosting the plugins as `options` say.
    pub fn load_with(path: impl AsRef<Path>, options: LoadOptions) -> Result<Library, HostError> {
        let (binary, bundle) = bundle::resolve(path.as_ref())?;
        let open_flags = libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL;
        // SAFETY: opening a library runs its initialisers; a host has to trust the binary it is asked to
        // load (only process isolation would protect it).
        let lib = unsafe { libloading::os::unix::Library::open(Some(&binary), open_flags) }
            .map_err(|e| HostError::Load {
                path: binary.clone(),
                message: e.to_string(),
            })?;
        let missing = |symbol| HostError::MissingSymbol {
            path: binary.clone(),
            symbol,
        };
        // SAFETY: the symbols are looked up with the types the OpenFX headers give them.
        let (set_host, get_number, get_plugin) = unsafe {
            let set_host = lib.get::<OfxSetHost>(b"OfxSetHost\0").ok().map(|s| *s);
            let n = *lib
                .get::<GetNumber>(b"OfxGetNumberOfPlugins\0")
                .map_err(|_| missing("OfxGetNumberOfPlugins"))?;
            let p = *lib
                .get::<GetPlugin>(b"OfxGetPlugin\0")
                .map_err(|_| missing("OfxGetPlugin"))?;
            (set_host, n, p)
        };
        // Kept loaded for the life of the process (see the module comment).
        let _ = lib.into_raw();
        Self::from_entry_points(binary, bundle, options, set_host, get_number, get_plugin)
    }

    /// A plugin binary linked into this process rather than loaded from disk: its two entry points
    /// (for example those `ofx_export!` generates in a test). `name` stands for the binary's path in
    /// messages and descriptions.
    pub fn in_process(
        name: impl Into<PathBuf>,
        get_number: unsafe extern "C" fn() -> c_int,
        get_plugin: unsafe extern "C" fn(c_int) -> *mut OfxPlugin,
    ) -> Result<Library, HostError> {
        Self::from_entry_points(
            name.into(),
            None,
            LoadOptions::default(),
            None,
            get_number,
            get_plugin,
        )
    }

    fn from_entry_points(
        binary: PathBuf,
        bundle: Option<PathBuf>,
        options: LoadOptions,
        set_host: Option<OfxSetHost>,
        get_number: GetNumber,
        get_plugin: GetPlugin,
    ) -> Result<Library, HostError> {
        let host = host_struct();
        if let Some(set_host) = set_host {
            // SAFETY: the OpenFX 1.5 entry point, called first with the host struct, which lives forever.
            let status = Status(unsafe { set_host(host) });
            if status.is_error() {
                return Err(HostError::Declined {
                    path: binary,
                    status,
                });
            }
        }
        // SAFETY: the mandatory entry point, no arguments.
        let count = unsafe { get_number() };
        // A negative or absurd count is a broken binary, not a reason to call OfxGetPlugin forever.
        let count = usize::try_from(count)
            .ok()
            .filter(|n| *n <= MAX_PLUGINS)
            .ok_or_else(|| HostError::BadPlugin {
                path: binary.clone(),
                index: 0,
                reason: format!("OfxGetNumberOfPlugins returned {count}"),
            })?;
        let mut plugins: Vec<(PluginInfo, RawEntry)> = Vec::new();
        let mut addresses = Vec::new();
        let mut rejected = Vec::new();
        for index in 0..count {
            let Ok(i) = c_int::try_from(index) else { break };
            // SAFETY: the mandatory entry point, with an index below its plugin count.
            let raw = unsafe { get_plugin(i) };
            match check_plugin(raw, index, &binary, bundle.as_deref()) {
                Ok((info, _)) if plugins.iter().any(|(p, _)| p.id == info.id) => {
                    rejected.push(RejectedPlugin {
                        index,
                        reason: format!("duplicate identifier {}", info.id),
                    });
                }
                Ok(p) => {
                    plugins.push(p);
                    addresses.push(raw.expose_provenance());
                }
                Err(reason) => {
                    tracing::warn!(binary = %binary.display(), index, %reason, "plugin rejected");
                    rejected.push(RejectedPlugin { index, reason });
                }
            }
        }
        let loaded = plugins.iter().map(|_| Mutex::new(Weak::new())).collect();
        Ok(Library {
            inner: Arc::new(LibraryInner {
                binary,
                bundle,
                options,
                get_number,
                get_plugin,
                addresses,
                plugins,
                rejected,
                loaded,
            }),
        })
    }

    /// The binary that was loaded.
    pub fn binary(&self) -> &Path {
        &self.inner.binary
    }

    /// The bundle directory, when the binary sits in one.
    pub fn bundle(&self) -> Option<&Path> {
        self.inner.bundle.as_deref()
    }

    /// The usable plugins, in `OfxGetPlugin` order.
    pub fn plugins(&self) -> Vec<PluginInfo> {
        self.inner.plugins.iter().map(|(p, _)| p.clone()).collect()
    }

    /// The entries that were refused.
    pub fn rejected(&self) -> &[RejectedPlugin] {
        &self.inner.rejected
    }

    /// Asks `OfxGetNumberOfPlugins` and `OfxGetPlugin` again and re-reads the `OfxPlugin` structs the
    /// first answers pointed to, returning every difference: hosts call the entry points whenever they
    /// like and keep those pointers, so the answers must not change, even after the plugins were
    /// unloaded. (Reading a struct the plugin freed may crash: run this in a process you can lose.)
    pub fn recheck_entries(&self) -> Vec<String> {
        let inner = &self.inner;
        let mut problems = Vec::new();
        // SAFETY: the mandatory entry point, no arguments.
        let count = unsafe { (inner.get_number)() };
        let listed = inner.plugins.len() + inner.rejected.len();
        if usize::try_from(count).ok() != Some(listed) {
            problems.push(format!(
                "OfxGetNumberOfPlugins now returns {count}, first {listed}"
            ));
        }
        for ((info, _), address) in inner.plugins.iter().zip(&inner.addresses) {
            let Ok(i) = c_int::try_from(info.index) else {
                continue;
            };
            // SAFETY: the mandatory entry point, with an index below its first plugin count.
            let raw = unsafe { (inner.get_plugin)(i) };
            if raw.addr() != *address {
                problems.push(format!(
                    "OfxGetPlugin({i}) now returns another address ({:#x}, first {address:#x})",
                    raw.addr()
                ));
            }
            let now = check_plugin(raw, info.index, &inner.binary, inner.bundle.as_deref());
            match now {
                Ok((again, _)) if again == *info => {}
                Ok((again, _)) => problems.push(format!(
                    "OfxGetPlugin({i}) now describes {} {}.{}, first {} {}.{}",
                    again.id,
                    again.version_major,
                    again.version_minor,
                    info.id,
                    info.version_major,
                    info.version_minor
                )),
                Err(reason) => problems.push(format!("OfxGetPlugin({i}) is now refused: {reason}")),
            }
            // The first struct, through the pointer a host keeps: the API has it live as long as the
            // binary is loaded, which is the life of this process.
            let first = std::ptr::with_exposed_provenance_mut::<OfxPlugin>(*address);
            match check_plugin(first, info.index, &inner.binary, inner.bundle.as_deref()) {
                Ok((again, _)) if again.id == info.id => {}
                Ok((again, _)) => problems.push(format!(
                    "the OfxPlugin struct first returned for {} now names {}",
                    info.id, again.id
                )),
                Err(reason) => problems.push(format!(
                    "the OfxPlugin struct first returned for {} is now unusable: {reason}",
                    info.id
                )),
            }
        }
        problems
    }

    /// Loads (`setHost`, `Load`) and describes (`Describe`) the plugin with this identifier. While a
    /// [`Plugin`] or an instance of it is alive, later calls return the same loaded plugin; when the
    /// last one is dropped the plugin gets `Unload`.
    pub fn plugin(&self, id: &str) -> Result<Plugin, HostError> {
        let slot = self
            .inner
            .plugins
            .iter()
            .position(|(p, _)| p.id == id)
            .ok_or_else(|| HostError::PluginNotFound {
                id: id.to_owned(),
                searched: self.inner.binary.display().to_string(),
            })?;
        self.plugin_at(slot)
    }

    /// Like [`Library::plugin`], by position in [`Library::plugins`].
    pub fn plugin_at(&self, slot: usize) -> Result<Plugin, HostError> {
        let (info, entry) =
            self.inner
                .plugins
                .get(slot)
                .ok_or_else(|| HostError::PluginNotFound {
                    id: format!("#{slot}"),
                    searched: self.inner.binary.display().to_string(),
                })?;
        let mut loaded = lock(&self.inner.loaded[slot]);
        if let Some(core) = loaded.upgrade() {
            return Ok(Plugin::from_core(core));
        }
        let core = Arc::new(PluginCore::load(
            info.clone(),
            *entry,
            Arc::clone(&self.inner),
        )?);
        *loaded = Arc::downgrade(&core);
        Ok(Plugin::from_core(core))
    }
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("binary", &self.inner.binary)
            .finish_non_exhaustive()
    }
}

/// Checks one `OfxGetPlugin` answer and copies what the host needs out of it.
fn check_plugin(
    raw: *mut OfxPlugin,
    index: usize,
    binary: &Path,
    bundle: Option<&Path>,
) -> Result<(PluginInfo, RawEntry), String> {
    if raw.is_null() {
        return Err("OfxGetPlugin returned null".to_owned());
    }
    // SAFETY: a non-null `OfxPlugin*` from the plugin, which points to a struct it keeps alive; it is
    // copied out at once.
    let p: OfxPlugin = unsafe { raw.read() };
    // SAFETY: the strings of an `OfxPlugin` are NUL-terminated constants of the plugin (or null).
    let (api, id) = unsafe {
        (
            super::suites::c_str(p.pluginApi),
            super::suites::c_str(p.pluginIdentifier),
        )
    };
    let api = api.ok_or("pluginApi is null")?;
    if api != ofx_str!(kOfxImageEffectPluginApi) {
        return Err(format!(
            "pluginApi is {api:?}, not \"OfxImageEffectPluginAPI\""
        ));
    }
    if p.apiVersion != 1 {
        return Err(format!("apiVersion is {}, not 1", p.apiVersion));
    }
    let id = id.ok_or("pluginIdentifier is null")?;
    let id = CStr::to_str(id).map_err(|_| format!("pluginIdentifier {id:?} is not UTF-8"))?;
    if id.is_empty() {
        return Err("pluginIdentifier is empty".to_owned());
    }
    let main = p
        .mainEntry
        .ok_or_else(|| format!("{id}: mainEntry is null"))?;
    let info = PluginInfo {
        id: id.to_owned(),
        version_major: p.pluginVersionMajor,
        version_minor: p.pluginVersionMinor,
        index,
        binary: binary.to_path_buf(),
        bundle: bundle.map(Path::to_path_buf),
    };
    Ok((
        info,
        RawEntry {
            set_host: p.setHost,
            main,
        },
    ))
}

/// Loads every bundle found under `dirs` (default: [`bundle::search_paths`]) and returns the first
/// library with a plugin `id`. Bundles that fail to load are skipped with a warning.
pub fn find_plugin(id: &str, dirs: Option<&[PathBuf]>) -> Result<Library, HostError> {
    let default;
    let dirs = match dirs {
        Some(d) => d,
        None => {
            default = bundle::search_paths();
            &default
        }
    };
    for dir in dirs {
        for path in bundle::find_bundles(dir) {
            match Library::load(&path) {
                Ok(lib) if lib.inner.plugins.iter().any(|(p, _)| p.id == id) => return Ok(lib),
                Ok(_) => {}
                Err(e) => tracing::warn!(bundle = %path.display(), error = %e, "skipping bundle"),
            }
        }
    }
    let searched = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    Err(HostError::PluginNotFound {
        id: id.to_owned(),
        searched,
    })
}
