//! The `ferry` binary: parse arguments, run, map the outcome to an exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use ferry::cli::{Cli, Command};
use ferry::error::Error;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 5 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report(&anyhow::Error::new(e).context("cannot start the async runtime"));
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        // A config file or variable that cannot be read stops every command, before anything.
        if let Err(e) = ferry::config::Config::load() {
            return Err(Error::from(e));
        }
        match cli.command {
            Command::Run(args) => tokio::select! {
                r = ferry::commands::run::run(*args) => r,
                _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
            },
            other => ferry::commands::dispatch(other).await,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            let code = e.exit_code();
            // Our messages already carry their causes: print the message, not the chain
            // (with any value that came out of a vault masked).
            let message = e.to_string();
            report(&anyhow::anyhow!("{}", ferry::vault::mask::text(&message)));
            ExitCode::from(code as u8)
        }
    }
}

#[allow(clippy::print_stderr)]
fn report(e: &anyhow::Error) {
    eprintln!("ERROR! {e:#}");
}
