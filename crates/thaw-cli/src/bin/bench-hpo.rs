//! `bench-hpo`: the freeze-thaw HPO benchmark (see `bench-hpo --help`).

fn main() {
    std::process::exit(thaw_cli::main_for(|args, out| {
        thaw_cli::run_standalone(args, out, thaw_cli::commands::bench_hpo::run)
    }));
}
