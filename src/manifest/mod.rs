//! Model manifests: filled in by the manifest work (issue 4).
