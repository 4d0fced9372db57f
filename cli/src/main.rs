use std::process::ExitCode;

fn main() -> ExitCode {
    hanko_cli::app::main_from(std::env::args_os())
}
