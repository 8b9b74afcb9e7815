use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tack::cli::{self, Cli};

fn main() -> ExitCode {
    if let Err(err) = color_eyre::install() {
        eprintln!("tack: {err}");
    }
    let cli = Cli::parse();
    let dir = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let result = match cli.command {
        Some(command) => cli::run(&dir, command),
        None => Err(color_eyre::eyre::eyre!(
            "the board is not available in this build; try `tack list`"
        )),
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
