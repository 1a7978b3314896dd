//! The benchmark harness of Pomost as a library, so its runs and reports are tested: a
//! run loads a seeded dataset through gRPC and measures every workload; a report turns
//! results into Markdown with SVG charts. The `pomost-bench` binary is the command line.

pub mod assign;
pub mod baseline;
pub mod exposure_month;
pub mod occupations;
pub mod placement;
pub mod quality;
pub mod replicas;
pub mod report;
pub mod results;
pub mod run;
pub mod search_recall;
pub mod soak;
