//! `ifbo`: freeze-thaw hyperparameter optimisation (see `ifbo --help`).

fn main() {
    std::process::exit(thaw_cli::main_for(|args, out| {
        thaw_cli::run_standalone(args, out, thaw_cli::commands::ifbo::run)
    }));
}
