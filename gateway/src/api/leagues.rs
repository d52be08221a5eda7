//! League routes: create, view, change and delete a league; its members and spectators; its pool,
//! keepers and scoring rules; its invite codes; and the CSV import of managers.

use std::time::Duration;

use auction::Keeper;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use league::invite::InviteOptions;
use league::model::JoinRole;
use league::scoring::ScoringRules;
use league_service::ServiceError;
use league_service::leagues::{LeagueDraft, settings_from_json};
use serde::Deserialize;
use serde_json::json;

use super::Api;
use super::extract::{
    ApiError, ApiJson, ApiQuery, Caller, Format, FormatQuery, MaybeCaller, Upload, csv_file,
};

/// Body of `POST /api/leagues`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLeague {
    /// The league's name.
    pub name: String,
    /// Auction settings; absent fields take the pilot's defaults.
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
    /// Whether the commissioner also manages a team.
    #[serde(default)]
    pub commissioner_plays: bool,
    /// A shipped catalogue to load as the pool.
    #[serde(default)]
    pub catalogue: Option<String>,
}

/// Body of `PATCH /api/leagues/{league}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateLeague {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// Settings to change (only the fields named).
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
}

/// Query of `GET /api/leagues/{league}/spectators`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpectatorsQuery {
    /// The `next` of the previous page.
    #[serde(default)]
    pub after: Option<String>,
    /// Page size (1 to 500, default 100).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// JSON body of `PUT /api/leagues/{league}/pool`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolFromCatalogue {
    /// The catalogue's key.
    pub catalogue: String,
}

/// Body of `PUT /api/leagues/{league}/keepers`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepersBody {
    /// Every keeper (replaces the current list).
    pub keepers: Vec<Keeper>,
}

/// Body of `POST /api/leagues/{league}/invites`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    /// `manager` (default) or `spectator`.
    #[serde(default)]
    pub role: Option<JoinRole>,
    /// Lifetime in minutes (5 to 43,200; default 7 days).
    #[serde(default)]
    pub ttl_minutes: Option<u64>,
    /// Use limit (1 to 1,000; default none).
    #[serde(default)]
    pub max_uses: Option<u32>,
}

/// Query of the managers import.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Validate and report, change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

async fn commissioner(api: &Api, caller: &Caller) -> Result<league::model::User, ApiError> {
    Ok(api
        .service
        .user(&caller.user)
        .await?
        .ok_or(ServiceError::AccountNotFound)?)
}

/// `POST /api/leagues`.
pub async fn create(
    State(api): State<Api>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateLeague>,
) -> Result<Response, ApiError> {
    let user = commissioner(&api, &caller).await?;
    let settings = match &body.settings {
        Some(settings) => settings_from_json(settings)?,
        None => auction::LeagueSettings::default(),
    };
    let view = api
        .service
        .create_league(
            &user,
            LeagueDraft {
                name: body.name,
                settings,
                commissioner_plays: body.commissioner_plays,
                catalogue: body.catalogue,
                id: None,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET /api/leagues/{league}`.
pub async fn view(
    State(api): State<Api>,
    caller: MaybeCaller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(api.service.league_view(&league, caller.user()).await?).into_response())
}

/// `PATCH /api/leagues/{league}`.
pub async fn update(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiJson(body): ApiJson<UpdateLeague>,
) -> Result<Response, ApiError> {
    let view = api
        .service
        .update_league(
            &league,
            &caller.user,
            body.name.as_deref(),
            body.settings.as_ref(),
        )
        .await?;
    Ok(Json(view).into_response())
}

/// `DELETE /api/leagues/{league}`.
pub async fn delete(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<StatusCode, ApiError> {
    api.service.delete_league(&league, &caller.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/leagues/{league}/leave`.
pub async fn leave(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<StatusCode, ApiError> {
    api.service.leave_league(&league, &caller.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/leagues/{league}/members/{user}`.
pub async fn remove_member(
    State(api): State<Api>,
    caller: Caller,
    Path((league, member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    api.service
        .remove_member(&league, &caller.user, &member)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/leagues/{league}/spectators`.
pub async fn spectators(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiQuery(query): ApiQuery<SpectatorsQuery>,
) -> Result<Response, ApiError> {
    let page = api
        .service
        .spectators(
            &league,
            &caller.user,
            query.after.as_deref(),
            query.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(page).into_response())
}

/// `GET /api/leagues/{league}/pool` (JSON, or `?format=csv`).
pub async fn pool(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiQuery(query): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    if query.format == Format::Csv {
        let csv = api.service.pool_csv(&league, Some(&caller.user)).await?;
        return Ok(csv_file(&format!("{league}-pool.csv"), csv));
    }
    let (assets, warnings) = api.service.pool(&league, Some(&caller.user)).await?;
    Ok(Json(json!({ "assets": assets, "warnings": warnings })).into_response())
}

/// `PUT /api/leagues/{league}/pool`: a catalogue (`{"catalogue": key}` as JSON) or a CSV file.
pub async fn load_pool(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    upload: Upload,
) -> Result<Response, ApiError> {
    let loaded = if upload.is_json {
        let body: PoolFromCatalogue = serde_json::from_slice(&upload.bytes).map_err(|error| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                super::extract::sentence(&format!(
                    "the request body is not valid: {error} (send {{\"catalogue\": \"<key>\"}}, or a CSV file as text/csv)"
                )),
            )
        })?;
        api.service
            .load_catalogue(&league, &caller.user, &body.catalogue)
            .await?
    } else {
        api.service
            .load_pool_csv(&league, &caller.user, &upload.bytes)
            .await?
    };
    Ok(Json(loaded).into_response())
}

/// `PUT /api/leagues/{league}/keepers`.
pub async fn keepers(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiJson(body): ApiJson<KeepersBody>,
) -> Result<Response, ApiError> {
    let keepers = api
        .service
        .set_keepers(&league, &caller.user, body.keepers)
        .await?;
    Ok(Json(json!({ "keepers": keepers })).into_response())
}

/// `PUT /api/leagues/{league}/scoring`.
pub async fn scoring(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiJson(rules): ApiJson<ScoringRules>,
) -> Result<Response, ApiError> {
    let scoring = api
        .service
        .set_scoring(&league, &caller.user, rules)
        .await?;
    Ok(Json(json!({ "scoring": scoring })).into_response())
}

/// `POST /api/leagues/{league}/invites`.
pub async fn create_invite(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiJson(body): ApiJson<CreateInvite>,
) -> Result<Response, ApiError> {
    let defaults = InviteOptions::default();
    let options = InviteOptions {
        role: body.role.unwrap_or(defaults.role),
        ttl: body.ttl_minutes.map_or(defaults.ttl, |minutes| {
            Duration::from_secs(minutes.saturating_mul(60))
        }),
        max_uses: body.max_uses,
    };
    let created = api
        .service
        .create_invite(&league, &caller.user, options)
        .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /api/leagues/{league}/invites`.
pub async fn list_invites(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
) -> Result<Response, ApiError> {
    let invites = api.service.list_invites(&league, &caller.user).await?;
    Ok(Json(json!({ "invites": invites })).into_response())
}

/// `DELETE /api/leagues/{league}/invites/{invite}`.
pub async fn revoke_invite(
    State(api): State<Api>,
    caller: Caller,
    Path((league, invite)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let revoked = api
        .service
        .revoke_invite(&league, &caller.user, &invite)
        .await?;
    Ok(Json(revoked).into_response())
}

/// `POST /api/leagues/{league}/managers/import` (CSV body).
pub async fn import_into(
    State(api): State<Api>,
    caller: Caller,
    Path(league): Path<String>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    upload: Upload,
) -> Result<Response, ApiError> {
    let report = api
        .service
        .import_managers_into(&league, &caller.user, &upload.bytes, query.dry_run)
        .await?;
    Ok(Json(report).into_response())
}

/// `POST /api/imports/managers` (CSV body naming any of the caller's leagues).
pub async fn import_all(
    State(api): State<Api>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    upload: Upload,
) -> Result<Response, ApiError> {
    let report = api
        .service
        .import_managers(&caller.user, &upload.bytes, query.dry_run)
        .await?;
    Ok(Json(report).into_response())
}
