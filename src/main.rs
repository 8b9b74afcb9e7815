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
            eprintln!("tack: {}", plain(&err));
            ExitCode::from(cli::exit_code(&err) as u8)
        }
    }
}

/// An error reaching `main` as one plain line: its chain of causes joined with `: `. What the
/// user reads is the sentence, never a source location or a backtrace, even with
/// RUST_BACKTRACE set; those are for bugs, and a real panic still gets colour-eyre's full
/// report from its hook.
fn plain(err: &color_eyre::Report) -> String {
    format!("{err:#}")
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
