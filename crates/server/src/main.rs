//! `austa`: see `austa --help`.

fn main() -> std::process::ExitCode {
    austa_server::cli::run()
}
