//! Invitations: an owner shares a profile with someone who has no account
//! yet (a grandparent, a partner) without asking an administrator. The owner
//! gets a single-use link; whoever opens it before it expires sets their own
//! username and password, or, already signed in, joins with their account,
//! and lands on the shared profile with the role the owner chose.
//!
//! The link's token is 128 bits from the CSPRNG and only its SHA-256 is
//! stored, so a copy of the database cannot be used to join. Using a link
//! consumes it in one statement: two people racing with the same link cannot
//! both get in.

use super::profiles::{ProfileRole, ProfileScope};
use super::users::{NewUser, User, UserRole};
use super::{Auth, AuthError, Caller, ClientInfo, new_id, now_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// How long a link works.
pub const VALID_FOR: chrono::Duration = chrono::Duration::days(7);

/// An invitation as its owner sees it (never its token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    /// Id.
    pub id: String,
    /// The profile it shares.
    pub profile_id: String,
    /// The role the person gets.
    pub role: ProfileRole,
    /// Who it is for, in the owner's words.
    #[schema(required)]
    pub name: Option<String>,
    /// When it was made.
    pub created_at: String,
    /// When the link stops working.
    pub expires_at: String,
}

/// A new invitation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    /// `viewer` or `editor` (ownership is given by transfer, not by link).
    pub role: ProfileRole,
    /// Who it is for ("Grandma"), to recognise it in the list.
    #[serde(default)]
    pub name: Option<String>,
}

/// A made invitation with its link's token, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Issued {
    /// The invitation.
    pub invitation: Invitation,
    /// The secret in the link (`/invite/{token}`).
    pub token: String,
}

/// What the person opening a link is told.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    /// Whose record is shared.
    pub profile_name: String,
    /// Who shared it.
    pub invited_by: String,
    /// The role they get.
    pub role: ProfileRole,
    /// Who it is for, in the owner's words.
    #[schema(required)]
    pub name: Option<String>,
    /// When the link stops working.
    pub expires_at: String,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn gone() -> AuthError {
    AuthError::NotFound(
        "this invitation link is not valid: it was used, withdrawn or has expired; ask for a new one"
            .into(),
    )
}

fn invitation_from_row(r: &sqlx::sqlite::SqliteRow) -> Result<Invitation, AuthError> {
    Ok(Invitation {
        id: r.try_get("id")?,
        profile_id: r.try_get("profile_id")?,
        role: ProfileRole::parse(r.try_get::<&str, _>("role")?)?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

impl Auth {
    /// Make an invitation to a profile (owner).
    pub async fn invite(
        &self,
        scope: &ProfileScope,
        new: NewInvitation,
        client: &ClientInfo,
    ) -> Result<Issued, AuthError> {
        if new.role == ProfileRole::Owner {
            return Err(AuthError::invalid(
                "role",
                "an invitation gives `viewer` or `editor`; hand over ownership with a transfer",
            ));
        }
        let name = match new.name.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(n) if n.chars().count() > 100 => {
                return Err(AuthError::invalid("name", "at most 100 characters"));
            }
            Some(n) => {
                crate::text::check_line(n)
                    .map_err(|e| AuthError::invalid("name", e.to_string()))?;
                Some(n.to_string())
            }
        };
        let token = hex::encode(rand::random::<[u8; 16]>());
        let id = new_id();
        let now = chrono::Utc::now();
        let invitation = Invitation {
            id: id.clone(),
            profile_id: scope.id().to_string(),
            role: new.role,
            name,
            created_at: now_text(),
            expires_at: (now + VALID_FOR).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        };
        sqlx::query(
            "INSERT INTO invitations (id, profile_id, role, name, token_hash, created_by, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(scope.id())
        .bind(new.role.as_str())
        .bind(&invitation.name)
        .bind(token_hash(&token))
        .bind(scope.user_id())
        .bind(&invitation.created_at)
        .bind(&invitation.expires_at)
        .execute(&self.db)
        .await?;
        self.audit
            .record(
                "invitation-created",
                Some(scope.user_id()),
                None,
                Some(scope.id()),
                client,
                json!({"invitation": id, "role": new.role.as_str()}),
            )
            .await;
        Ok(Issued { invitation, token })
    }

    /// A profile's invitations not yet used or expired (owner).
    pub async fn invitations(&self, scope: &ProfileScope) -> Result<Vec<Invitation>, AuthError> {
        sqlx::query(
            "SELECT id, profile_id, role, name, created_at, expires_at FROM invitations
             WHERE profile_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at, id",
        )
        .bind(scope.id())
        .bind(now_text())
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(invitation_from_row)
        .collect()
    }

    /// Withdraw an invitation (owner); its link stops working.
    pub async fn withdraw_invitation(
        &self,
        scope: &ProfileScope,
        id: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let gone = sqlx::query(
            "DELETE FROM invitations WHERE id = ? AND profile_id = ? AND used_at IS NULL",
        )
        .bind(id)
        .bind(scope.id())
        .execute(&self.db)
        .await?;
        if gone.rows_affected() == 0 {
            return Err(AuthError::NotFound(format!("no open invitation {id:?}")));
        }
        self.audit
            .record(
                "invitation-withdrawn",
                Some(scope.user_id()),
                None,
                Some(scope.id()),
                client,
                json!({"invitation": id}),
            )
            .await;
        Ok(())
    }

    /// What a link offers, for the page that opens it (no sign-in needed).
    pub async fn invitation(&self, token: &str) -> Result<InvitationView, AuthError> {
        let row = sqlx::query(
            "SELECT p.name AS profile_name, u.display_name AS invited_by, i.role, i.name, i.expires_at
             FROM invitations i JOIN profiles p ON p.id = i.profile_id JOIN users u ON u.id = i.created_by
             WHERE i.token_hash = ? AND i.used_at IS NULL AND i.expires_at > ?",
        )
        .bind(token_hash(token))
        .bind(now_text())
        .fetch_optional(&self.db)
        .await?
        .ok_or_else(gone)?;
        Ok(InvitationView {
            profile_name: row.try_get("profile_name")?,
            invited_by: row.try_get("invited_by")?,
            role: ProfileRole::parse(row.try_get::<&str, _>("role")?)?,
            name: row.try_get("name")?,
            expires_at: row.try_get("expires_at")?,
        })
    }

    /// Use a link with a new account: the account is made, the link consumed
    /// and the grant given, or none of it. Returns the account and the profile.
    pub async fn accept_invitation(
        &self,
        token: &str,
        new: NewUser,
        client: &ClientInfo,
    ) -> Result<(User, String), AuthError> {
        // Checked first so that a dead link does not cost a password hash.
        self.invitation(token).await?;
        let user = self
            .insert_user(NewUser { role: None, ..new }, UserRole::Member, None, false)
            .await?;
        match self.consume(token, &user.id, client).await {
            Ok(profile) => Ok((user, profile)),
            Err(e) => {
                // Someone else used the link in the meantime: the account goes again.
                sqlx::query("DELETE FROM users WHERE id = ?")
                    .bind(&user.id)
                    .execute(&self.db)
                    .await?;
                Err(e)
            }
        }
    }

    /// Use a link with the caller's own account. Returns the profile.
    pub async fn join_by_invitation(
        &self,
        token: &str,
        caller: &Caller,
        client: &ClientInfo,
    ) -> Result<String, AuthError> {
        let has: Option<String> = sqlx::query_scalar(
            "SELECT g.role FROM invitations i JOIN grants g ON g.profile_id = i.profile_id AND g.user_id = ?
             WHERE i.token_hash = ?",
        )
        .bind(&caller.user.id)
        .bind(token_hash(token))
        .fetch_optional(&self.db)
        .await?;
        if let Some(role) = has {
            return Err(AuthError::conflict(
                "grant-exists",
                format!(
                    "you already see this record (as {role}); the link is left for someone else"
                ),
            ));
        }
        self.consume(token, &caller.user.id, client).await
    }

    /// Mark the link used by `user` and give the grant, in one transaction.
    async fn consume(
        &self,
        token: &str,
        user: &str,
        client: &ClientInfo,
    ) -> Result<String, AuthError> {
        let mut tx = crate::db::write_tx(&self.db).await?;
        let row = sqlx::query(
            "UPDATE invitations SET used_at = ?1, used_by = ?2
             WHERE token_hash = ?3 AND used_at IS NULL AND expires_at > ?1
             RETURNING id, profile_id, role, created_by",
        )
        .bind(now_text())
        .bind(user)
        .bind(token_hash(token))
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(gone)?;
        let profile: String = row.try_get("profile_id")?;
        let role: String = row.try_get("role")?;
        sqlx::query(
            "INSERT INTO grants (profile_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (profile_id, user_id) DO NOTHING",
        )
        .bind(&profile)
        .bind(user)
        .bind(&role)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.audit
            .record(
                "invitation-accepted",
                Some(user),
                Some(user),
                Some(&profile),
                client,
                json!({"invitation": row.try_get::<String, _>("id")?, "role": role,
                       "invited_by": row.try_get::<String, _>("created_by")?}),
            )
            .await;
        Ok(profile)
    }
}
