//! Research data: exports of the votes in the formats other tools read, with a
//! dataset card ([`export`]); imports of other arenas' vote files ([`import`]) and of
//! galleries of pre-generated images ([`gallery`]); their subcommands ([`cli`]).

pub mod cli;
pub mod export;
pub mod gallery;
pub mod import;
