//! GenAI-Bench's columns (`prompt, left_model, right_model, left_image, right_image,
//! vote_type`), one JSON object per line. Images are named by the file `--images`
//! writes (`<sha256>.png`); votes without images (imported ones) have `null`.

use std::io::{self, Write};

use serde::Serialize;

use super::{Record, RowWriter};

#[derive(Serialize)]
struct Row<'a> {
    prompt: Option<&'a str>,
    left_model: &'a str,
    right_model: &'a str,
    left_image: Option<String>,
    right_image: Option<String>,
    vote_type: &'static str,
    battle_id: &'a str,
    judge: &'a str,
    tstamp: f64,
}

pub struct GenaiBenchWriter {
    out: Box<dyn Write + Send>,
}

impl GenaiBenchWriter {
    pub fn new(out: Box<dyn Write + Send>) -> GenaiBenchWriter {
        GenaiBenchWriter { out }
    }
}

impl RowWriter for GenaiBenchWriter {
    fn write(&mut self, r: &Record<'_>) -> io::Result<()> {
        // Pairs only (the driver leaves votes on three or four images out).
        let Some(outcome) = r.outcome else {
            return Ok(());
        };
        let image = |sha: Option<&str>| sha.map(|s| format!("{s}.png"));
        let row = Row {
            prompt: r.prompt,
            left_model: r.model_a,
            right_model: r.model_b,
            left_image: image(r.image_a_sha256.as_deref()),
            right_image: image(r.image_b_sha256.as_deref()),
            vote_type: outcome.genai_bench_label(),
            battle_id: r.battle_id,
            judge: &r.judge,
            tstamp: r.tstamp,
        };
        serde_json::to_writer(&mut self.out, &row)?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}
