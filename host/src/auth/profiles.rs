//! Profiles (one person's health record each) and the grants that link users
//! to them. [`Auth::access`] is the only constructor of [`ProfileScope`], the
//! token every profile-owned query takes, so reading a profile's data without
//! a grant check does not compile.

use super::{Auth, AuthError, Caller, ClientInfo, new_id, now_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

/// What a grant lets its user do with a profile. Ordered: each role includes the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProfileRole {
    /// Read everything.
    Viewer,
    /// Also add and edit records and manage sources.
    Editor,
    /// Also grant and revoke access, rename, transfer and delete the profile.
    Owner,
}

impl ProfileRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileRole::Viewer => "viewer",
            ProfileRole::Editor => "editor",
            ProfileRole::Owner => "owner",
        }
    }

    pub(super) fn parse(s: &str) -> Result<ProfileRole, AuthError> {
        match s {
            "viewer" => Ok(ProfileRole::Viewer),
            "editor" => Ok(ProfileRole::Editor),
            "owner" => Ok(ProfileRole::Owner),
            other => Err(AuthError::Internal(format!("stored grant role {other:?}"))),
        }
    }
}

/// Proof that a caller holds at least some role on a profile. Only
/// [`Auth::access`] makes one.
#[derive(Debug, Clone)]
pub struct ProfileScope {
    id: String,
    role: ProfileRole,
    user_id: String,
}

impl ProfileScope {
    /// The profile id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The user acting.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The caller's role on it.
    pub fn role(&self) -> ProfileRole {
        self.role
    }

    /// A scope for code that acts for the host itself (tests, console tools).
    #[cfg(test)]
    pub fn for_tests(id: &str) -> ProfileScope {
        ProfileScope {
            id: id.into(),
            role: ProfileRole::Owner,
            user_id: String::new(),
        }
    }
}

/// A profile as a user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    /// Id.
    pub id: String,
    /// The person's name.
    pub name: String,
    /// Their birth date (`YYYY-MM-DD`), if given.
    #[schema(required)]
    pub birth_date: Option<String>,
    /// When created.
    pub created_at: String,
    /// The caller's role on it.
    pub role: ProfileRole,
}

/// A new profile, or changes to one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    /// The person's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Birth date `YYYY-MM-DD` (empty string clears it).
    #[serde(default)]
    pub birth_date: Option<String>,
}

/// Someone's access to a profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Grant {
    /// The user.
    pub user_id: String,
    /// Their username.
    pub username: String,
    /// Their display name.
    pub display_name: String,
    /// Their role on the profile.
    pub role: ProfileRole,
    /// Since when.
    pub created_at: String,
}

/// Check a profile name.
pub fn check_profile_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::invalid("name", "must be 1-100 characters"));
    }
    crate::text::check_line(name).map_err(|e| AuthError::invalid("name", e.to_string()))?;
    Ok(name.to_string())
}

fn check_birth_date(date: &str) -> Result<Option<String>, AuthError> {
    if date.is_empty() {
        return Ok(None);
    }
    let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| AuthError::invalid("birth_date", "must be a date as YYYY-MM-DD"))?;
    if parsed > chrono::Utc::now().date_naive() {
        return Err(AuthError::invalid(
            "birth_date",
            "must not be in the future",
        ));
    }
    Ok(Some(parsed.format("%Y-%m-%d").to_string()))
}

/// Insert a profile owned by `owner`, returning its id.
pub(super) async fn insert_profile(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    owner: &str,
    name: &str,
    birth_date: Option<&str>,
) -> Result<String, AuthError> {
    let id = new_id();
    let now = now_text();
    sqlx::query("INSERT INTO profiles (id, name, birth_date, created_at) VALUES (?, ?, ?, ?)")
        .bind(&id)
        .bind(name)
        .bind(birth_date)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO grants (profile_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)",
    )
    .bind(&id)
    .bind(owner)
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Commit a change to `user`'s grant on `profile`: not found if it touched
/// no grant, rolled back if it left the profile without an owner.
async fn commit_grant_change(
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
    affected: u64,
    profile: &str,
    user: &str,
) -> Result<(), AuthError> {
    if affected == 0 {
        return Err(AuthError::NotFound(format!(
            "user {user:?} has no access to this profile"
        )));
    }
    ensure_an_owner_remains(&mut tx, profile).await?;
    tx.commit().await?;
    Ok(())
}

/// Fail (rolling back) if the profile was left without an owner.
async fn ensure_an_owner_remains(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    profile: &str,
) -> Result<(), AuthError> {
    let owners: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM grants WHERE profile_id = ? AND role = 'owner'")
            .bind(profile)
            .fetch_one(&mut **tx)
            .await?;
    if owners == 0 {
        return Err(AuthError::conflict(
            "last-owner",
            "a profile needs an owner; make someone else owner first (or transfer it)",
        ));
    }
    Ok(())
}

impl Auth {
    /// Check that `caller` holds at least `need` on `profile`. A profile the
    /// caller has no grant on is "not found" (its existence is not revealed,
    /// not even to administrators: they manage accounts, not records); a
    /// grant that is too weak is "forbidden".
    pub async fn access(
        &self,
        caller: &Caller,
        profile: &str,
        need: ProfileRole,
    ) -> Result<ProfileScope, AuthError> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM grants WHERE profile_id = ? AND user_id = ?")
                .bind(profile)
                .bind(&caller.user.id)
                .fetch_optional(&self.db)
                .await?;
        let Some(role) = role else {
            return Err(AuthError::NotFound(format!("no profile {profile:?}")));
        };
        let role = ProfileRole::parse(&role)?;
        if role < need {
            return Err(AuthError::Forbidden(format!(
                "this needs {} access to the profile; you have {} access",
                need.as_str(),
                role.as_str()
            )));
        }
        Ok(ProfileScope {
            id: profile.to_string(),
            role,
            user_id: caller.user.id.clone(),
        })
    }

    /// Whether `user` (enabled) may still edit `profile`: asked when work a
    /// person started finishes later without them (a provider's callback).
    pub async fn may_edit(&self, user: &str, profile: &str) -> bool {
        let role: Result<Option<String>, sqlx::Error> = sqlx::query_scalar(
            "SELECT g.role FROM grants g JOIN users u ON u.id = g.user_id
             WHERE g.profile_id = ? AND g.user_id = ? AND NOT u.disabled",
        )
        .bind(profile)
        .bind(user)
        .fetch_optional(&self.db)
        .await;
        match role {
            Ok(Some(role)) => ProfileRole::parse(&role).is_ok_and(|r| r >= ProfileRole::Editor),
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = %e, "checking a grant failed; refusing");
                false
            }
        }
    }

    /// Whether `session` is live (not revoked or expired, its user enabled)
    /// and its `user` still holds a grant on `profile`: asked again and
    /// again by long-lived reads such as the event stream.
    pub async fn may_watch(&self, session: &str, user: &str, profile: &str) -> bool {
        let found: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(
            "SELECT 1 FROM sessions s
               JOIN users u ON u.id = s.user_id
               JOIN grants g ON g.user_id = s.user_id AND g.profile_id = ?
             WHERE s.id = ? AND s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
               AND NOT u.disabled",
        )
        .bind(profile)
        .bind(session)
        .bind(user)
        .bind(super::now_text())
        .fetch_optional(&self.db)
        .await;
        match found {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::error!(error = %e, "checking a stream's access failed; closing it");
                false
            }
        }
    }

    /// The profiles `caller` has access to.
    pub async fn profiles(&self, caller: &Caller) -> Result<Vec<Profile>, AuthError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.birth_date, p.created_at, g.role FROM profiles p
             JOIN grants g ON g.profile_id = p.id WHERE g.user_id = ? ORDER BY p.created_at, p.id",
        )
        .bind(&caller.user.id)
        .fetch_all(&self.db)
        .await?;
        rows.iter().map(profile_from_row).collect()
    }

    /// One profile.
    pub async fn profile(&self, scope: &ProfileScope) -> Result<Profile, AuthError> {
        let row = sqlx::query(
            "SELECT p.id, p.name, p.birth_date, p.created_at, g.role FROM profiles p
             JOIN grants g ON g.profile_id = p.id WHERE p.id = ? AND g.user_id = ?",
        )
        .bind(&scope.id)
        .bind(&scope.user_id)
        .fetch_optional(&self.db)
        .await?
        .ok_or_else(|| AuthError::NotFound(format!("no profile {:?}", scope.id)))?;
        profile_from_row(&row)
    }

    /// Create a profile; the caller owns it.
    pub async fn create_profile(
        &self,
        caller: &Caller,
        fields: ProfileFields,
        client: &ClientInfo,
    ) -> Result<Profile, AuthError> {
        let name = check_profile_name(fields.name.as_deref().unwrap_or(""))?;
        let birth_date = match fields.birth_date.as_deref() {
            Some(d) => check_birth_date(d)?,
            None => None,
        };
        let mut tx = crate::db::write_tx(&self.db).await?;
        let id = insert_profile(&mut tx, &caller.user.id, &name, birth_date.as_deref()).await?;
        tx.commit().await?;
        self.audit
            .record(
                "profile-created",
                Some(&caller.user.id),
                None,
                Some(&id),
                client,
                json!({"name": name}),
            )
            .await;
        let scope = self.access(caller, &id, ProfileRole::Owner).await?;
        self.profile(&scope).await
    }

    /// Rename a profile or change its birth date (owner).
    pub async fn update_profile(
        &self,
        scope: &ProfileScope,
        fields: ProfileFields,
    ) -> Result<Profile, AuthError> {
        let current = self.profile(scope).await?;
        let name = match fields.name.as_deref() {
            Some(n) => check_profile_name(n)?,
            None => current.name,
        };
        let birth_date = match fields.birth_date.as_deref() {
            Some(d) => check_birth_date(d)?,
            None => current.birth_date,
        };
        sqlx::query("UPDATE profiles SET name = ?, birth_date = ? WHERE id = ?")
            .bind(&name)
            .bind(&birth_date)
            .bind(&scope.id)
            .execute(&self.db)
            .await?;
        self.profile(scope).await
    }

    /// Who has access to a profile (owner).
    pub async fn grants(&self, scope: &ProfileScope) -> Result<Vec<Grant>, AuthError> {
        let rows = sqlx::query(
            "SELECT g.user_id, u.username, u.display_name, g.role, g.created_at FROM grants g
             JOIN users u ON u.id = g.user_id WHERE g.profile_id = ? ORDER BY g.created_at, u.username",
        )
        .bind(&scope.id)
        .fetch_all(&self.db)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Grant {
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    role: ProfileRole::parse(r.try_get::<&str, _>("role")?)?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Give a user access to a profile (owner). The user is named by username.
    pub async fn add_grant(
        &self,
        scope: &ProfileScope,
        username: &str,
        role: ProfileRole,
        client: &ClientInfo,
    ) -> Result<Grant, AuthError> {
        let user = self.user_by_name(username).await?;
        let inserted = sqlx::query(
            "INSERT INTO grants (profile_id, user_id, role, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (profile_id, user_id) DO NOTHING",
        )
        .bind(&scope.id)
        .bind(&user.id)
        .bind(role.as_str())
        .bind(now_text())
        .execute(&self.db)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AuthError::conflict(
                "grant-exists",
                format!(
                    "{} already has access; change their role instead",
                    user.username
                ),
            ));
        }
        self.audit
            .record(
                "grant-added",
                Some(&scope.user_id),
                Some(&user.id),
                Some(&scope.id),
                client,
                json!({"role": role.as_str()}),
            )
            .await;
        self.grant_of(scope, &user.id).await
    }

    async fn grant_of(&self, scope: &ProfileScope, user: &str) -> Result<Grant, AuthError> {
        self.grants(scope)
            .await?
            .into_iter()
            .find(|g| g.user_id == user)
            .ok_or_else(|| {
                AuthError::NotFound(format!("user {user:?} has no access to this profile"))
            })
    }

    /// Change a user's role on a profile (owner). The last owner stays.
    pub async fn change_grant(
        &self,
        scope: &ProfileScope,
        user: &str,
        role: ProfileRole,
        client: &ClientInfo,
    ) -> Result<Grant, AuthError> {
        let mut tx = crate::db::write_tx(&self.db).await?;
        let changed =
            sqlx::query("UPDATE grants SET role = ? WHERE profile_id = ? AND user_id = ?")
                .bind(role.as_str())
                .bind(&scope.id)
                .bind(user)
                .execute(&mut *tx)
                .await?;
        commit_grant_change(tx, changed.rows_affected(), &scope.id, user).await?;
        self.audit
            .record(
                "grant-changed",
                Some(&scope.user_id),
                Some(user),
                Some(&scope.id),
                client,
                json!({"role": role.as_str()}),
            )
            .await;
        self.grant_of(scope, user).await
    }

    /// Remove a user's access (an owner, or the user themself leaving). The last owner stays.
    pub async fn remove_grant(
        &self,
        caller: &Caller,
        profile: &str,
        user: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let need = if user == caller.user.id {
            ProfileRole::Viewer
        } else {
            ProfileRole::Owner
        };
        let scope = self.access(caller, profile, need).await?;
        let mut tx = crate::db::write_tx(&self.db).await?;
        let removed = sqlx::query("DELETE FROM grants WHERE profile_id = ? AND user_id = ?")
            .bind(&scope.id)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        commit_grant_change(tx, removed.rows_affected(), &scope.id, user).await?;
        self.audit
            .record(
                "grant-removed",
                Some(&caller.user.id),
                Some(user),
                Some(&scope.id),
                client,
                json!({}),
            )
            .await;
        Ok(())
    }

    /// Hand a profile to another user (a child growing up): they become
    /// owner, and the caller keeps `keep` access (or none).
    pub async fn transfer_profile(
        &self,
        scope: &ProfileScope,
        to_username: &str,
        keep: Option<ProfileRole>,
        client: &ClientInfo,
    ) -> Result<Vec<Grant>, AuthError> {
        let to = self.user_by_name(to_username).await?;
        if to.id == scope.user_id {
            return Err(AuthError::invalid(
                "username",
                "you already own this profile",
            ));
        }
        let now = now_text();
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query(
            "INSERT INTO grants (profile_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)
             ON CONFLICT (profile_id, user_id) DO UPDATE SET role = 'owner'",
        )
        .bind(&scope.id)
        .bind(&to.id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        match keep {
            Some(role) => {
                sqlx::query("UPDATE grants SET role = ? WHERE profile_id = ? AND user_id = ?")
                    .bind(role.as_str())
                    .bind(&scope.id)
                    .bind(&scope.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query("DELETE FROM grants WHERE profile_id = ? AND user_id = ?")
                    .bind(&scope.id)
                    .bind(&scope.user_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        self.audit
            .record(
                "profile-transferred",
                Some(&scope.user_id),
                Some(&to.id),
                Some(&scope.id),
                client,
                json!({"to": to.username, "kept": keep.map(ProfileRole::as_str)}),
            )
            .await;
        self.grants(scope).await
    }
}

fn profile_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Profile, AuthError> {
    Ok(Profile {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        birth_date: row.try_get("birth_date")?,
        created_at: row.try_get("created_at")?,
        role: ProfileRole::parse(row.try_get::<&str, _>("role")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_what_they_allow() {
        assert!(ProfileRole::Viewer < ProfileRole::Editor);
        assert!(ProfileRole::Editor < ProfileRole::Owner);
    }

    #[test]
    fn birth_dates_are_real_past_dates() {
        assert_eq!(
            check_birth_date("2019-02-28").unwrap().as_deref(),
            Some("2019-02-28")
        );
        assert_eq!(check_birth_date("").unwrap(), None);
        assert!(check_birth_date("2019-02-30").is_err());
        assert!(check_birth_date("28/02/2019").is_err());
        assert!(check_birth_date("2999-01-01").is_err());
    }
}
