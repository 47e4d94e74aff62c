//! Research data: exports of the votes in the formats other tools read, with a
//! dataset card ([`export`]); imports of other arenas' vote files ([`import`]) and of
//! galleries of pre-generated images ([`gallery`]); their subcommands ([`cli`]); votes
//! read back from a Parquet export ([`read_parquet`]; the evaluator reads the text
//! formats itself).

pub mod cli;
pub mod export;
pub mod gallery;
pub mod import;
mod parquet_dict;
pub mod read_parquet;
