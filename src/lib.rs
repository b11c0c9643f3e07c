//! leakscope finds leaked credentials in working trees and git history, classifies each one
//! as public-safe or must-rotate, and says how to rotate it without an outage.
//!
//! Data flows one way: a [`source`] yields bytes with an origin; [`scan`] runs them through
//! the [`matcher`] (which [`rules`] drive) and the [`classify`] stage, which decides each
//! finding's verdict; [`plan`] groups what must rotate; a [`report`] writes it all out.
//! [`settings`] turns command-line arguments into the objects that drive all of this, once,
//! and [`app`] runs them.

#![warn(missing_docs)]

pub mod app;
pub mod baseline;
pub mod classify;
pub mod cli;
pub mod config;
pub mod explain;
pub mod finding;
pub mod matcher;
pub mod merge;
pub mod outcome;
pub mod plan;
pub mod progress;
pub mod report;
pub mod rules;
pub mod runbook;
pub mod scan;
pub mod settings;
pub mod source;
#[doc(hidden)]
pub mod testing;
pub mod units;
pub mod verify;
pub mod vocab;
pub mod work;
