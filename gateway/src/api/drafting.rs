//! The draft and after: starting a league's auction, its results (JSON and CSV), fixtures,
//! results and performances from CSV, and the league table.
//!
//! The auction itself is driven over the websocket (begin, bids, pause, ...), where the rules on
//! the owning node authorize every command; these routes only start it and read it back.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use league::csvio::UnknownTeams;
use league::model::Action;
use serde::Deserialize;
use serde_json::json;

use super::Api;
use super::extract::{ApiError, ApiQuery, Caller, Format, FormatQuery, Upload, csv_file};

/// Query of `PUT /api/leagues/{league}/fixtures`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixturesQuery {
    /// `reject` (default): every team must be in the pool; `keep`: teams outside the pool are
    /// kept unmatched (a full fixture list for a partial pool).
    #[serde(default)]
    pub unknown_teams: UnknownTeamsParam,
}

/// `unknown_teams` values.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownTeamsParam {
    /// Refuse rows with a team outside the pool.
    #[default]
    Reject,
    /// Keep them, unmatched.
    Keep,
}

/// `POST /api/leagues/{league}/auction`: start the league's auction (safe to repeat).
pub async fn start(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    let started = api.service.start_auction(&league, &caller.user).await?;
    let status = if started.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(started)).into_response())
}

/// `GET /api/leagues/{league}/results`.
pub async fn results(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    let view = api
        .service
        .results(&league, &caller.user, Action::ViewResults)
        .await?;
    Ok(Json(view).into_response())
}

/// `GET /api/leagues/{league}/results/rosters.csv`.
pub async fn rosters_csv(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    let csv = api.service.rosters_csv(&league, &caller.user).await?;
    Ok(csv_file(&format!("{league}-rosters.csv"), csv))
}

/// `GET /api/leagues/{league}/results/bids.csv`.
pub async fn bids_csv(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    let csv = api.service.bids_csv(&league, &caller.user).await?;
    Ok(csv_file(&format!("{league}-bids.csv"), csv))
}

/// `PUT /api/leagues/{league}/fixtures` (CSV body).
pub async fn import_fixtures(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiQuery(query): ApiQuery<FixturesQuery>,
    upload: Upload,
) -> Result<Response, ApiError> {
    let unknown = match query.unknown_teams {
        UnknownTeamsParam::Reject => UnknownTeams::Reject,
        UnknownTeamsParam::Keep => UnknownTeams::Keep,
    };
    let imported = api
        .service
        .import_fixtures(&league, &caller.user, &upload.bytes, unknown)
        .await?;
    Ok(Json(imported).into_response())
}

/// `GET /api/leagues/{league}/fixtures` (JSON, or `?format=csv`).
pub async fn fixtures(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiQuery(query): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    Ok(match query.format {
        Format::Csv => csv_file(
            &format!("{league}-fixtures.csv"),
            api.service.fixtures_csv(&league, &caller.user).await?,
        ),
        Format::Json => {
            let fixtures = api.service.fixtures(&league, &caller.user).await?;
            Json(json!({ "fixtures": fixtures })).into_response()
        }
    })
}

/// `DELETE /api/leagues/{league}/fixtures`.
pub async fn clear_fixtures(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    let deleted = api.service.clear_fixtures(&league, &caller.user).await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

/// `PUT /api/leagues/{league}/performances` (CSV body).
pub async fn import_performances(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    upload: Upload,
) -> Result<Response, ApiError> {
    let imported = api
        .service
        .import_performances(&league, &caller.user, &upload.bytes)
        .await?;
    Ok(Json(imported).into_response())
}

/// `GET /api/leagues/{league}/performances` (JSON, or `?format=csv`).
pub async fn performances(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiQuery(query): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    Ok(match query.format {
        Format::Csv => csv_file(
            &format!("{league}-performances.csv"),
            api.service.performances_csv(&league, &caller.user).await?,
        ),
        Format::Json => {
            let performances = api.service.performances(&league, &caller.user).await?;
            Json(json!({ "performances": performances })).into_response()
        }
    })
}

/// `DELETE /api/leagues/{league}/performances`.
pub async fn clear_performances(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    let deleted = api
        .service
        .clear_performances(&league, &caller.user)
        .await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

/// `GET /api/leagues/{league}/table` (JSON, or `?format=csv`).
pub async fn table(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiQuery(query): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    Ok(match query.format {
        Format::Csv => csv_file(
            &format!("{league}-table.csv"),
            api.service.table_csv(&league, &caller.user).await?,
        ),
        Format::Json => Json(api.service.table(&league, &caller.user).await?).into_response(),
    })
}
