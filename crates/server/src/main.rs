//! `austa`: see `austa --help`.

/// mimalloc rather than the system allocator: under load glibc's arenas contended on frees made
/// by another thread than the one that allocated (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    austa_server::cli::run()
}
