//! Reading votes out for research exports: one streamed query for the rows and a few
//! aggregates for the dataset card. Nothing here holds more than one row at a time.

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use super::sql::{Exec, sql, sql_owned};
use super::{Result, Store};

/// Which votes an export holds.
#[derive(Clone, Debug, Default)]
pub struct ExportFilter {
    /// Only votes cast at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Also votes that do not count for the leaderboard (each keeps its reason).
    pub include_excluded: bool,
    /// Leave out votes on battles of three or four images (for formats of pairs).
    pub pairs_only: bool,
}

impl ExportFilter {
    fn since_or_epoch(&self) -> DateTime<Utc> {
        self.since.unwrap_or(DateTime::UNIX_EPOCH)
    }
}

/// One vote with everything a researcher needs to reproduce it, as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ExportRow {
    pub battle_id: String,
    pub created_at: DateTime<Utc>,
    pub prompt_id: Option<i64>,
    pub prompt: Option<String>,
    pub category: Option<String>,
    pub model_a: String,
    pub model_b: String,
    #[sqlx(try_from = "String")]
    pub winner: Outcome,
    /// The raw voter id; exports only ever show its keyed hash.
    pub voter_id: String,
    pub anony: bool,
    pub image_a_sha256: Option<String>,
    pub image_b_sha256: Option<String>,
    /// Blob-store keys of the two images, for `--images`.
    pub image_a_key: Option<String>,
    pub image_b_key: Option<String>,
    pub gen_a_seed: Option<i64>,
    pub gen_a_steps: Option<i32>,
    pub gen_a_width: Option<i32>,
    pub gen_a_height: Option<i32>,
    pub gen_a_latency_ms: Option<i64>,
    pub gen_b_seed: Option<i64>,
    pub gen_b_steps: Option<i32>,
    pub gen_b_width: Option<i32>,
    pub gen_b_height: Option<i32>,
    pub gen_b_latency_ms: Option<i64>,
    pub counts_for_leaderboard: bool,
    pub exclusion_reason: Option<String>,
    pub source: String,
    /// The two images' style statistics as stored (JSON), `None` when not computed.
    pub style_a: Option<String>,
    pub style_b: Option<String>,
    /// The answers on the other judgement axes, `axis=winner` joined by commas in
    /// axis order (`prompt=a,quality=tie`); `None` when the battle asked only overall.
    pub axes: Option<String>,
    /// A battle of three or four images: its third (and fourth) model, the slots of
    /// the images chosen best and worst, and the other images' names and keys.
    /// (`winner` is then not read.)
    pub model_c: Option<String>,
    pub model_d: Option<String>,
    pub best: Option<i16>,
    pub worst: Option<i16>,
    pub image_c_sha256: Option<String>,
    pub image_d_sha256: Option<String>,
    pub image_c_key: Option<String>,
    pub image_d_key: Option<String>,
}

impl ExportRow {
    /// The answers on the other judgement axes, in axis order.
    pub fn axis_answers(&self) -> Vec<(&str, Outcome)> {
        let Some(text) = self.axes.as_deref() else {
            return Vec::new();
        };
        let mut answers: Vec<(&str, Outcome)> = text
            .split(',')
            .filter_map(|pair| {
                let (axis, winner) = pair.split_once('=')?;
                Some((axis, Outcome::parse_arena(winner).ok()?))
            })
            .collect();
        // Byte order whatever the database's collation, as the exports promise.
        answers.sort_by(|x, y| x.0.cmp(y.0));
        answers
    }
}

/// The votes an export filter admits; shared by the row query and the aggregates.
const FILTERED_VOTES: &str = "v.axis = 'overall' and v.created_at >= $1 \
     and (v.counts_for_leaderboard or $2)";

/// The K-wise votes an export filter admits.
const FILTERED_CHOICES: &str = "v.created_at >= $1 and (v.counts_for_leaderboard or $2)";

/// Merges two streams of rows, each in the order cast, into one: the earlier row
/// first, `a`'s on a tie (an error as soon as it is next).
fn merge_by_time<'a>(
    a: BoxStream<'a, Result<ExportRow>>,
    b: BoxStream<'a, Result<ExportRow>>,
) -> BoxStream<'a, Result<ExportRow>> {
    let streams = (a.peekable(), b.peekable());
    Box::pin(futures_util::stream::unfold(
        streams,
        |(mut a, mut b)| async move {
            let take_a = match (
                std::pin::Pin::new(&mut a).peek().await,
                std::pin::Pin::new(&mut b).peek().await,
            ) {
                (None, None) => return None,
                (Some(Ok(x)), Some(Ok(y))) => x.created_at <= y.created_at,
                (Some(_), None) | (Some(Err(_)), _) => true,
                (None, Some(_)) | (_, Some(Err(_))) => false,
            };
            let next = if take_a {
                a.next().await
            } else {
                b.next().await
            }?;
            Some((next, (a, b)))
        },
    ))
}

/// Counts that describe a whole export, for its dataset card.
#[derive(Clone, Debug, Default)]
pub struct ExportSummary {
    pub votes: i64,
    pub counted: i64,
    pub anonymous: i64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// (slug, display name, backend, votes it took part in), by slug.
    pub models: Vec<(String, String, String, i64)>,
    /// (source, votes), by source.
    pub sources: Vec<(String, i64)>,
    /// (exclusion reason, votes) of the votes that do not count.
    pub exclusions: Vec<(String, i64)>,
    /// Votes on battles of three or four images the filter admits (among `votes`
    /// unless it takes pairs only).
    pub kwise: i64,
}

#[derive(sqlx::FromRow)]
struct Totals {
    votes: i64,
    counted: Option<i64>,
    anonymous: Option<i64>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl Store {
    /// The votes `filter` admits in the order they were cast — pairs and votes on
    /// battles of three or four images, two streams in id order merged by time (a
    /// pair first on a tie) — streamed from the database: the caller sees one row at
    /// a time and memory stays flat.
    pub fn export_rows(&self, filter: &ExportFilter) -> BoxStream<'_, Result<ExportRow>> {
        let (since, include) = (filter.since_or_epoch(), filter.include_excluded);
        let pairs = self.pool().fetch(sql(ROWS_SQL).bind(since).bind(include));
        if filter.pairs_only {
            return pairs;
        }
        let choices = self
            .pool()
            .fetch(sql(CHOICE_ROWS_SQL).bind(since).bind(include));
        merge_by_time(pairs, choices)
    }

    /// Totals, date range, models, sources and exclusions of what `filter` admits.
    pub async fn export_summary(&self, filter: &ExportFilter) -> Result<ExportSummary> {
        let (since, include) = (filter.since_or_epoch(), filter.include_excluded);
        let filtered = |query: String| sql_owned(query).bind(since).bind(include);
        let mut pool = self.pool();
        // Pairs and K-wise votes together: the columns the summary reads, of both.
        let votes = format!(
            "(select v.battle_id, v.created_at, v.counts_for_leaderboard, v.exclusion_reason, \
             v.source, v.model_a_id, v.model_b_id, cast(null as bigint) as model_c_id, \
             cast(null as bigint) as model_d_id from vote v where {FILTERED_VOTES} \
             union all select v.battle_id, v.created_at, v.counts_for_leaderboard, \
             v.exclusion_reason, v.source, v.model_a_id, v.model_b_id, v.model_c_id, \
             v.model_d_id from choice_vote v where {FILTERED_CHOICES} and {}) v",
            if filter.pairs_only { "false" } else { "true" }
        );
        let totals: Totals = pool
            .fetch_one(filtered(format!(
                "select count(*) as votes, \
                 sum(case when v.counts_for_leaderboard then 1 else 0 end) as counted, \
                 sum(case when b.anony then 1 else 0 end) as anonymous, \
                 min(v.created_at) as first, max(v.created_at) as last \
                 from {votes} join battle b on b.id = v.battle_id"
            )))
            .await?;
        let models = pool
            .fetch_all(filtered(format!(
                "select m.slug, m.display_name, m.backend, count(*) as n from \
                 (select v.model_a_id as model_id from {votes} \
                  union all select v.model_b_id from {votes} \
                  union all select v.model_c_id from {votes} \
                  union all select v.model_d_id from {votes}) x \
                 join model m on m.id = x.model_id \
                 group by m.slug, m.display_name, m.backend order by m.slug"
            )))
            .await?;
        let sources = pool
            .fetch_all(filtered(format!(
                "select v.source, count(*) as n from {votes} group by v.source order by v.source"
            )))
            .await?;
        let exclusions = pool
            .fetch_all(filtered(format!(
                "select coalesce(v.exclusion_reason, 'unspecified') as reason, count(*) as n \
                 from {votes} where not v.counts_for_leaderboard group by 1 order by 1"
            )))
            .await?;
        let kwise = pool
            .scalar(filtered(format!(
                "select count(*) from choice_vote v where {FILTERED_CHOICES}"
            )))
            .await?;
        Ok(ExportSummary {
            votes: totals.votes,
            counted: totals.counted.unwrap_or(0),
            anonymous: totals.anonymous.unwrap_or(0),
            first: totals.first,
            last: totals.last,
            models,
            sources,
            exclusions,
            kwise,
        })
    }
}

/// The row query. The two image slots are joined separately so that imported votes,
/// which have no generations, still come out (with empty image and parameter fields).
const ROWS_SQL: &str = "select v.battle_id, v.created_at, b.prompt_id, p.text as prompt, p.category, \
     ma.slug as model_a, mb.slug as model_b, v.winner, v.voter_id, b.anony, \
     ga.sha256 as image_a_sha256, gb.sha256 as image_b_sha256, \
     ga.blob_key as image_a_key, gb.blob_key as image_b_key, \
     ga.seed as gen_a_seed, ga.steps as gen_a_steps, ga.width as gen_a_width, \
     ga.height as gen_a_height, ga.latency_ms as gen_a_latency_ms, \
     gb.seed as gen_b_seed, gb.steps as gen_b_steps, gb.width as gen_b_width, \
     gb.height as gen_b_height, gb.latency_ms as gen_b_latency_ms, \
     v.counts_for_leaderboard, v.exclusion_reason, v.source, \
     ga.style as style_a, gb.style as style_b, \
     (select string_agg(x.axis || '=' || x.winner, ',' order by x.axis) from vote x \
      where x.battle_id = v.battle_id and x.axis <> 'overall') as axes, \
     cast(null as text) as model_c, cast(null as text) as model_d, \
     cast(null as smallint) as best, cast(null as smallint) as worst, \
     cast(null as text) as image_c_sha256, cast(null as text) as image_d_sha256, \
     cast(null as text) as image_c_key, cast(null as text) as image_d_key \
     from vote v \
     join battle b on b.id = v.battle_id \
     join model ma on ma.id = v.model_a_id \
     join model mb on mb.id = v.model_b_id \
     left join prompt p on p.id = b.prompt_id \
     left join battle_image ia on ia.battle_id = v.battle_id and ia.slot = 0 \
     left join generation ga on ga.id = ia.generation_id \
     left join battle_image ib on ib.battle_id = v.battle_id and ib.slot = 1 \
     left join generation gb on gb.id = ib.generation_id \
     where v.axis = 'overall' and v.created_at >= $1 and (v.counts_for_leaderboard or $2) \
     order by v.id";

/// The row query of K-wise votes: the same columns (`winner` a placeholder: `best`
/// says which image won), the third and fourth images joined like the first two.
const CHOICE_ROWS_SQL: &str = "select v.battle_id, v.created_at, b.prompt_id, p.text as prompt, \
     p.category, ma.slug as model_a, mb.slug as model_b, 'a' as winner, v.voter_id, b.anony, \
     ga.sha256 as image_a_sha256, gb.sha256 as image_b_sha256, \
     ga.blob_key as image_a_key, gb.blob_key as image_b_key, \
     ga.seed as gen_a_seed, ga.steps as gen_a_steps, ga.width as gen_a_width, \
     ga.height as gen_a_height, ga.latency_ms as gen_a_latency_ms, \
     gb.seed as gen_b_seed, gb.steps as gen_b_steps, gb.width as gen_b_width, \
     gb.height as gen_b_height, gb.latency_ms as gen_b_latency_ms, \
     v.counts_for_leaderboard, v.exclusion_reason, v.source, \
     ga.style as style_a, gb.style as style_b, cast(null as text) as axes, \
     mc.slug as model_c, md.slug as model_d, v.best, v.worst, \
     gc.sha256 as image_c_sha256, gd.sha256 as image_d_sha256, \
     gc.blob_key as image_c_key, gd.blob_key as image_d_key \
     from choice_vote v \
     join battle b on b.id = v.battle_id \
     join model ma on ma.id = v.model_a_id \
     join model mb on mb.id = v.model_b_id \
     join model mc on mc.id = v.model_c_id \
     left join model md on md.id = v.model_d_id \
     left join prompt p on p.id = b.prompt_id \
     left join battle_image ia on ia.battle_id = v.battle_id and ia.slot = 0 \
     left join generation ga on ga.id = ia.generation_id \
     left join battle_image ib on ib.battle_id = v.battle_id and ib.slot = 1 \
     left join generation gb on gb.id = ib.generation_id \
     left join battle_image ic on ic.battle_id = v.battle_id and ic.slot = 2 \
     left join generation gc on gc.id = ic.generation_id \
     left join battle_image i4 on i4.battle_id = v.battle_id and i4.slot = 3 \
     left join generation gd on gd.id = i4.generation_id \
     where v.created_at >= $1 and (v.counts_for_leaderboard or $2) \
     order by v.id";
