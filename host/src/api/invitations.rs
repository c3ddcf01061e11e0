//! Sharing a profile by a single-use link ([`crate::auth::invitations`]):
//! the owner makes and withdraws links; whoever opens one joins, with a new
//! account or their own.

use super::extract::{Access, Client, Own};
use super::openapi::{BadRequest, Conflict, NotFound, Unprocessable};
use super::{ApiJson, ApiPath, AppState, Problem, Routes};
use crate::auth::Caller;
use crate::auth::invitations::{Invitation, InvitationView, Issued, NewInvitation};
use crate::auth::users::NewUser;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// The invitation routes' description.
#[derive(OpenApi)]
#[openapi(paths(invite, list, withdraw, show, accept, join))]
pub(super) struct Doc;

pub(super) fn routes(r: Routes) -> Routes {
    r.post("/profiles/{profile}/invitations", invite)
        .get("/profiles/{profile}/invitations", list)
        .delete("/profiles/{profile}/invitations/{invitation}", withdraw)
        .get("/invitations/{token}", show)
        .post("/invitations/{token}/accept", accept)
        .post("/invitations/{token}/join", join)
}

/// Make a single-use link that shares the profile (owner). The token is in
/// the answer only: keep the link, it cannot be shown again.
#[utoipa::path(
    post,
    path = "/api/profiles/{profile}/invitations",
    tag = "profiles",
    operation_id = "invite",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    request_body = NewInvitation,
    responses(
        (status = 201, description = "The invitation and its link's token", body = Issued),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    )
)]
async fn invite(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
    ApiJson(body): ApiJson<NewInvitation>,
) -> Result<impl IntoResponse, Problem> {
    let issued = state.auth.invite(&access.scope, body, &client).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// `GET …/invitations`.
#[derive(Serialize, ToSchema)]
struct InvitationList {
    /// Links not yet used, withdrawn or expired.
    invitations: Vec<Invitation>,
}

/// The profile's open invitations (owner).
#[utoipa::path(
    get,
    path = "/api/profiles/{profile}/invitations",
    tag = "profiles",
    operation_id = "list_invitations",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id")),
    responses(
        (status = 200, description = "Open invitations", body = InvitationList),
        (status = 404, response = NotFound),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: Access<Own>,
) -> Result<Json<InvitationList>, Problem> {
    Ok(Json(InvitationList {
        invitations: state.auth.invitations(&access.scope).await?,
    }))
}

/// Withdraw an invitation (owner): its link stops working.
#[utoipa::path(
    delete,
    path = "/api/profiles/{profile}/invitations/{invitation}",
    tag = "profiles",
    operation_id = "withdraw_invitation",
    security(("bearer" = []), ("cookie" = [])),
    params(("profile" = String, Path, description = "Profile id"), ("invitation" = String, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, response = NotFound),
    )
)]
async fn withdraw(
    State(state): State<AppState>,
    access: Access<Own>,
    Client(client): Client,
    ApiPath((_, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, Problem> {
    state
        .auth
        .withdraw_invitation(&access.scope, &id, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a link offers: whose record, from whom, with which role. Public: the
/// token in the path is the credential.
#[utoipa::path(
    get,
    path = "/api/invitations/{token}",
    tag = "profiles",
    operation_id = "show_invitation",
    params(("token" = String, Path, description = "The link's token")),
    responses(
        (status = 200, description = "The invitation", body = InvitationView),
        (status = 404, response = NotFound),
    )
)]
async fn show(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<InvitationView>, Problem> {
    Ok(Json(state.auth.invitation(&token).await?))
}

/// Use a link with a new account: the account is made, signed in and given
/// the invitation's role on the profile. `Location` names the profile.
#[utoipa::path(
    post,
    path = "/api/invitations/{token}/accept",
    tag = "profiles",
    operation_id = "accept_invitation",
    params(("token" = String, Path, description = "The link's token")),
    request_body = super::account::SignUp,
    responses(
        (status = 201, description = "Joined and signed in", body = super::account::SessionAnswer,
            headers(("Location" = String, description = "`/api/profiles/{profile}`"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
async fn accept(
    State(state): State<AppState>,
    Client(client): Client,
    ApiPath(token): ApiPath<String>,
    ApiJson(body): ApiJson<super::account::SignUp>,
) -> Result<Response, Problem> {
    let (user, profile) = state
        .auth
        .accept_invitation(
            &token,
            NewUser {
                username: body.username,
                password: body.password,
                display_name: body.display_name,
                role: None,
            },
            &client,
        )
        .await?;
    let mut response =
        super::account::new_session(&state, &client, &user, body.use_cookies).await?;
    located(&mut response, &profile);
    Ok(response)
}

/// What joining by link gave.
#[derive(Serialize, ToSchema)]
struct Joined {
    /// The profile now shared with the caller.
    profile_id: String,
}

/// Use a link with one's own account (signed in).
#[utoipa::path(
    post,
    path = "/api/invitations/{token}/join",
    tag = "profiles",
    operation_id = "join_by_invitation",
    security(("bearer" = []), ("cookie" = [])),
    params(("token" = String, Path, description = "The link's token")),
    responses(
        (status = 200, description = "Joined", body = Joined),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
async fn join(
    State(state): State<AppState>,
    caller: Caller,
    Client(client): Client,
    ApiPath(token): ApiPath<String>,
) -> Result<Json<Joined>, Problem> {
    let profile_id = state
        .auth
        .join_by_invitation(&token, &caller, &client)
        .await?;
    Ok(Json(Joined { profile_id }))
}

fn located(response: &mut Response, profile: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("/api/profiles/{profile}")) {
        response.headers_mut().insert(header::LOCATION, v);
    }
}
