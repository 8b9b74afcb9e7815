use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tack::cli::{self, Cli};

fn main() -> ExitCode {
    install_error_reports();
    let cli = Cli::parse();
    if let Err(err) = tack::backend::select_index(cli.index.as_deref()) {
        eprintln!("tack: {err}");
        return ExitCode::from(2);
    }
    let dir = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let result = match cli.command {
        Some(command) => cli::run(&dir, command),
        None => cli::board(&dir, cli.path.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = cli::exit_code(&err);
            if code == 1 && err.downcast_ref::<cli::CheckFailed>().is_none() {
                // Not something the user did wrong: the full report, with where it came from.
                eprintln!("tack: {err:?}");
            } else {
                // A usage error or a refused write: one plain sentence.
                eprintln!("tack: {err}");
            }
            ExitCode::from(code as u8)
        }
    }
}

/// color-eyre's reports (and panic messages), coloured only on a terminal: a script reading
/// stderr gets plain text.
fn install_error_reports() {
    let hooks = if std::io::stderr().is_terminal() {
        color_eyre::config::HookBuilder::default()
    } else {
        color_eyre::config::HookBuilder::default().theme(color_eyre::config::Theme::new())
    };
    if let Err(err) = hooks.install() {
        eprintln!("tack: {err}");
    }
}
