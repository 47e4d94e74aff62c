//! Leaderboards as text for people, CSV for spreadsheets and JSON for programs.

use std::fmt::Write as _;

use crate::leaderboard::Leaderboard;
use crate::options::{CiMethod, Method};

impl Leaderboard {
    /// The JSON of DESIGN.md (`{"method": …, "models": [{model, rating, ci_low,
    /// ci_high, rank_ub, battles, wins, losses, ties, win_rate, provisional}, …]}`)
    /// plus the settings, exclusions and warnings, pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a leaderboard always serialises")
    }

    /// One header row and one row per model; empty bounds for online Elo.
    ///
    /// # Examples
    ///
    /// ```
    /// use arena_evaluator::{leaderboard_from_counts, Counts, LeaderboardOptions, Outcome};
    /// let mut counts = Counts::new();
    /// counts.add_n("x", "y", Outcome::A, 2);
    /// counts.add_n("x", "y", Outcome::Tie, 2);
    /// let board = leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
    /// let csv = board.to_csv();
    /// assert!(csv.starts_with("model,rating,ci_low,ci_high,rank_ub,battles,wins,losses,ties,win_rate,provisional,group\nx,"));
    /// assert!(board.to_table().contains("95% CI"));
    /// assert!(board.to_json().contains("\"rank_ub\": 1"));
    /// ```
    pub fn to_csv(&self) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        let header = [
            "model",
            "rating",
            "ci_low",
            "ci_high",
            "rank_ub",
            "battles",
            "wins",
            "losses",
            "ties",
            "win_rate",
            "provisional",
            "group",
        ];
        let written = out.write_record(header).and_then(|()| {
            self.models.iter().try_for_each(|e| {
                let opt = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
                out.write_record([
                    e.model.clone(),
                    e.rating.to_string(),
                    opt(e.ci_low),
                    opt(e.ci_high),
                    e.rank_ub.to_string(),
                    e.battles.to_string(),
                    e.wins.to_string(),
                    e.losses.to_string(),
                    e.ties.to_string(),
                    e.win_rate.to_string(),
                    e.provisional.to_string(),
                    e.group.to_string(),
                ])
            })
        });
        written.expect("writing CSV to memory cannot fail");
        let bytes = out
            .into_inner()
            .expect("flushing CSV to memory cannot fail");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }

    /// An aligned table for a terminal, with a title line, a footnote for
    /// provisional models and the warnings.
    pub fn to_table(&self) -> String {
        let level = format!("{}%", self.level * 100.0);
        let title = match (self.method, self.ci) {
            (Method::Bt, Some(CiMethod::Bootstrap)) => format!(
                "Bradley–Terry, {level} bootstrap intervals ({} rounds, seed {})",
                self.bootstrap_rounds.unwrap_or(0),
                self.seed.unwrap_or(0)
            ),
            (Method::Bt, _) => format!("Bradley–Terry, {level} sandwich intervals"),
            (Method::Elo, _) => "Online Elo".to_string(),
        };
        let title = match (self.coefficients.is_empty(), self.reweighted) {
            (false, _) => {
                let names: Vec<&str> = self.coefficients.iter().map(|c| c.name.as_str()).collect();
                format!(
                    "{title}, controlled for {} (contextual, reweighted)",
                    names.join(", ")
                )
            }
            (true, true) => format!("{title}, reweighted by pair frequency"),
            (true, false) => title,
        };
        let ci_header = format!("{level} CI");
        let header = [
            "rank",
            "model",
            "rating",
            ci_header.as_str(),
            "battles",
            "wins",
            "losses",
            "ties",
            "win rate",
        ];
        let rows: Vec<[String; 9]> = self
            .models
            .iter()
            .map(|e| {
                let ci = match (e.ci_low, e.ci_high, self.ci) {
                    (Some(lo), Some(hi), _) => {
                        format!("-{:.1}/+{:.1}", e.rating - lo, hi - e.rating)
                    }
                    (_, _, Some(_)) => "unknown".to_string(),
                    _ => "–".to_string(),
                };
                [
                    e.rank_ub.to_string(),
                    format!("{}{}", e.model, if e.provisional { " *" } else { "" }),
                    format!("{:.1}", e.rating),
                    ci,
                    e.battles.to_string(),
                    e.wins.to_string(),
                    e.losses.to_string(),
                    e.ties.to_string(),
                    format!("{:.1}%", e.win_rate * 100.0),
                ]
            })
            .collect();
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = format!(
            "{title}, {} votes, {} models\n\n",
            self.n_votes,
            self.models.len()
        );
        let line = |out: &mut String, cells: &[&str]| {
            let mut text = String::new();
            for (k, (cell, w)) in cells.iter().zip(&widths).enumerate() {
                let pad = w - cell.chars().count();
                if k > 0 {
                    text.push_str("  ");
                }
                // The model name reads best left-aligned, numbers right-aligned.
                if k == 1 {
                    text.push_str(cell);
                    text.push_str(&" ".repeat(pad));
                } else {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(cell);
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        line(&mut out, &header);
        let groups = self.models.iter().map(|e| e.group).max().unwrap_or(1);
        let mut group = 0;
        for (row, entry) in rows.iter().zip(&self.models) {
            if groups > 1 && entry.group != group {
                group = entry.group;
                let size = self.models.iter().filter(|e| e.group == group).count();
                let _ = writeln!(out, "group {group} of {groups} ({size} models)");
            }
            line(&mut out, &row.each_ref().map(String::as_str));
        }
        if self.models.iter().any(|e| e.provisional) {
            out.push_str("\n* provisional: few battles so far\n");
        }
        if !self.coefficients.is_empty() {
            self.write_coefficients(&mut out);
        }
        if self.excluded.total() > 0 {
            let e = &self.excluded;
            let reasons: Vec<String> = [
                (e.not_anonymous, "not anonymous"),
                (e.other_category, "another category"),
                (e.outside_time_range, "outside the time range"),
                (e.not_counted, "marked not counting"),
                (e.self_battles, "a model against itself"),
                (e.both_bad, "both bad"),
                (e.no_answer, "no answer on the axis"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, why)| format!("{n} {why}"))
            .collect();
            let _ = writeln!(
                out,
                "\n{} votes left out: {}",
                e.total(),
                reasons.join(", ")
            );
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        out
    }

    /// What the voters rewarded: each covariate's effect per standard deviation, in
    /// logits and as rating points (the lead in rating that moves the odds as much).
    fn write_coefficients(&self, out: &mut String) {
        let level = format!("{}%", self.level * 100.0);
        let points = self.scale / self.base.ln();
        let width = self
            .coefficients
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0)
            .max("covariate".len());
        let _ = writeln!(
            out,
            "\n{:<width$}  {:>11}  {:>19}  {:>10}  {:>12}",
            "covariate",
            "coefficient",
            format!("{level} CI"),
            "points/SD",
            "SD"
        );
        for c in &self.coefficients {
            let ci = match (c.ci_low, c.ci_high) {
                (Some(lo), Some(hi)) => format!("[{lo:+.4}, {hi:+.4}]"),
                _ => "unknown".into(),
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:>+11.4}  {:>19}  {:>+10.1}  {:>12.4}",
                c.name,
                c.coefficient,
                ci,
                c.coefficient * points,
                c.sd
            );
        }
        out.push_str(
            "(logits per standard deviation of the covariate; positive: model A's odds rise \
             with it)\n",
        );
    }
}
