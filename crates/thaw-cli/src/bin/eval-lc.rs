//! `eval-lc`: the learning-curve extrapolation table (see `eval-lc --help`).

fn main() {
    std::process::exit(thaw_cli::main_for(|args, out| {
        thaw_cli::run_standalone(args, out, thaw_cli::commands::eval_lc::run)
    }));
}
