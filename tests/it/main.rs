//! Integration tests: the built `leakscope` binary against fixtures copied into temporary
//! directories (and git repositories built there under a fixed environment).

mod common;
mod delta;
mod docs;
mod families;
mod faults;
mod gate;
mod growth;
mod history;
mod hostile;
mod misses;
mod props;
mod remote;
mod report;
mod scan;
mod seeds;
mod tools;
#[cfg(feature = "mock-endpoints")]
mod verify;

/// The `--verify` tests need a binary that sends requests to their mock server instead of the
/// providers: without the feature they would reach the real hosts, so they refuse to run.
#[cfg(not(feature = "mock-endpoints"))]
#[test]
fn verify_tests_need_the_mock_endpoints_feature() {
    panic!("run the tests with `--features mock-endpoints` (scripts/test does)");
}
