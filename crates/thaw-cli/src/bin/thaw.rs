//! `thaw`: data import and housekeeping (see `thaw --help`).

fn main() {
    std::process::exit(thaw_cli::main_with_exit_code());
}
