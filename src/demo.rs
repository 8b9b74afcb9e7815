//! The demo backlog bundled in the binary (`assets/demo`), so `tack demo` works anywhere.

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr};
use include_dir::{include_dir, Dir};

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo");

/// Write the demo backlog into `dir`.
pub fn unpack(dir: &Path) -> Result<()> {
    DEMO.extract(dir)
        .wrap_err_with(|| format!("cannot write the demo backlog to {}", dir.display()))
}
