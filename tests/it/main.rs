//! Integration tests: the built `leakscope` binary against fixtures copied into temporary
//! directories (and git repositories built there under a fixed environment).

mod common;
mod delta;
mod faults;
mod gate;
mod history;
mod hostile;
mod report;
mod scan;
mod tools;
