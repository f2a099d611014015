//! `thaw`: every command of thaw as a subcommand (see `thaw --help`).

fn main() {
    std::process::exit(thaw_cli::main_with_exit_code());
}
