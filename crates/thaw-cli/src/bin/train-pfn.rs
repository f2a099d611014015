//! `train-pfn`: train a PFN surrogate (see `train-pfn --help`).

fn main() {
    std::process::exit(thaw_cli::main_for(|args, out| {
        thaw_cli::run_standalone(args, out, thaw_cli::commands::train_pfn::run)
    }));
}
