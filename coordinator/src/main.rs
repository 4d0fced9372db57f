//! `hanko-coordinator --config FILE`: runs the coordinator until SIGTERM or Ctrl-C.
//! Unfinished proposals resume on start.

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "hanko-coordinator",
    version,
    about = "Hanko coordinator: relays, aggregates and broadcasts; holds no NEM key"
)]
struct Args {
    #[arg(long)]
    config: PathBuf,
}

#[tokio::main]
async fn main() -> Result<()> {
    hanko_runtime::process::init_logging("info");
    let args = Args::parse();
    coordinator::daemon::run(&args.config, &hanko_runtime::process::notify_ready).await
}
