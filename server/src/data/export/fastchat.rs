//! FastChat's clean-battle file: one JSON array of battle objects with FastChat's
//! field names, as FastChat's `elo_analysis.py`, arena-rank and our own evaluator read
//! it. Written element by element, so the array is never held whole. It holds pairs
//! only: votes on three or four images are left out (the dataset card says so).

use std::io::{self, Write};

use serde::Serialize;

use super::{Record, RowWriter};

/// One element: FastChat's fields first, then what the arena knows beyond them
/// (FastChat's tools ignore fields they do not use).
#[derive(Serialize)]
struct Battle<'a> {
    question_id: &'a str,
    model_a: &'a str,
    model_b: &'a str,
    winner: &'a str,
    judge: &'a str,
    turn: u32,
    anony: bool,
    tstamp: f64,
    category: Option<&'a str>,
    prompt: Option<&'a str>,
    counts_for_leaderboard: bool,
}

pub struct FastchatWriter {
    out: Box<dyn Write + Send>,
    first: bool,
}

impl FastchatWriter {
    pub fn new(out: Box<dyn Write + Send>) -> FastchatWriter {
        FastchatWriter { out, first: true }
    }
}

impl RowWriter for FastchatWriter {
    fn write(&mut self, r: &Record<'_>) -> io::Result<()> {
        // Pairs only (the driver leaves votes on three or four images out).
        if r.outcome.is_none() {
            return Ok(());
        }
        self.out
            .write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        let battle = Battle {
            question_id: r.battle_id,
            model_a: r.model_a,
            model_b: r.model_b,
            winner: r.winner,
            judge: &r.judge,
            turn: 1,
            anony: r.anony,
            tstamp: r.tstamp,
            category: r.category,
            prompt: r.prompt,
            counts_for_leaderboard: r.counts_for_leaderboard,
        };
        serde_json::to_writer(&mut self.out, &battle)?;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}
