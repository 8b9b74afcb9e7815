use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tack::cli::{self, Cli};

fn main() -> ExitCode {
    if let Err(err) = color_eyre::install() {
        eprintln!("tack: {err}");
    }
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
                eprintln!("tack: {err:?}");
            } else {
                eprintln!("tack: {err}");
            }
            ExitCode::from(code as u8)
        }
    }
}
