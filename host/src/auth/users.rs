//! User accounts: first-run setup, sign-up, and administration. At least one
//! enabled administrator always remains.

use super::{Auth, AuthError, Caller, ClientInfo, new_id, now_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

/// An account's role on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// Manages users and sees the audit log (not other people's records).
    Admin,
    /// An ordinary account.
    Member,
}

impl UserRole {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Member => "member",
        }
    }

    fn parse(s: &str) -> Result<UserRole, AuthError> {
        match s {
            "admin" => Ok(UserRole::Admin),
            "member" => Ok(UserRole::Member),
            other => Err(AuthError::Internal(format!("stored role {other:?}"))),
        }
    }
}

/// An account as the API shows it (never its hash or second-factor secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Id.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Role.
    pub role: UserRole,
    /// Whether sign-in is blocked.
    pub disabled: bool,
    /// Whether two-factor sign-in is on.
    pub totp_enabled: bool,
    /// When created.
    pub created_at: String,
}

/// The user columns read by [`user_from_row`], followed by a static tail.
macro_rules! select_user {
    ($tail:literal) => {
        select_user!("", $tail)
    };
    ($extra:literal, $tail:literal) => {
        concat!(
            "SELECT u.id, u.username, u.display_name, u.role, u.disabled, u.totp_enabled, u.created_at",
            $extra,
            " FROM users u ",
            $tail
        )
    };
}
pub(super) use select_user;

pub(super) fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<User, AuthError> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: UserRole::parse(row.try_get::<&str, _>("role")?)?,
        disabled: row.try_get("disabled")?,
        totp_enabled: row.try_get("totp_enabled")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A new account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Sign-in name: 1-64 of letters, digits, `.`, `_`, `-`, `@`, starting with a letter or digit.
    pub username: String,
    /// Password (policy-checked).
    pub password: String,
    /// Name shown in the UI (default: the username).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Role (default `member`; only admins choose).
    #[serde(default)]
    pub role: Option<UserRole>,
}

/// Changes an administrator makes to an account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// New role.
    #[serde(default)]
    pub role: Option<UserRole>,
    /// Disable (true) or re-enable (false).
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// Check a username's shape.
pub fn check_username(name: &str) -> Result<(), AuthError> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::invalid(
            "username",
            "must be 1-64 of letters, digits, `.`, `_`, `-`, `@`, starting with a letter or digit",
        ))
    }
}

fn clean_display_name(name: Option<&str>, fallback: &str) -> Result<String, AuthError> {
    let name = name.map(str::trim).unwrap_or(fallback);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::invalid(
            "display_name",
            "must be 1-100 characters",
        ));
    }
    crate::text::check_line(name).map_err(|e| AuthError::invalid("display_name", e.to_string()))?;
    Ok(name.to_string())
}

impl Auth {
    /// Whether first-run setup is still open (no account exists).
    pub async fn setup_needed(&self) -> Result<bool, AuthError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.db)
            .await?;
        Ok(n == 0)
    }

    /// Create the first administrator and their own profile, once. Sources
    /// registered before accounts existed join that profile.
    pub async fn setup(
        &self,
        new: NewUser,
        profile_name: Option<String>,
        client: &ClientInfo,
    ) -> Result<User, AuthError> {
        if !self.setup_needed().await? {
            return Err(already_set_up());
        }
        let user = self
            .insert_user(new, UserRole::Admin, Some(profile_name), true)
            .await?;
        self.audit
            .record(
                "setup",
                Some(&user.id),
                Some(&user.id),
                None,
                client,
                json!({"username": user.username}),
            )
            .await;
        Ok(user)
    }

    /// Self sign-up (when enabled): a member with their own profile.
    pub async fn sign_up(&self, mut new: NewUser, client: &ClientInfo) -> Result<User, AuthError> {
        if !self.allow_signup {
            return Err(AuthError::Forbidden(
                "self sign-up is turned off; ask an administrator for an account".into(),
            ));
        }
        if new.role.take().is_some_and(|r| r != UserRole::Member) {
            return Err(AuthError::invalid("role", "sign-up creates members only"));
        }
        let user = self
            .insert_user(new, UserRole::Member, Some(None), false)
            .await?;
        self.audit
            .record(
                "sign-up",
                Some(&user.id),
                Some(&user.id),
                None,
                client,
                json!({"username": user.username}),
            )
            .await;
        Ok(user)
    }

    /// An administrator creates an account.
    pub async fn create_user(
        &self,
        admin: &Caller,
        new: NewUser,
        client: &ClientInfo,
    ) -> Result<User, AuthError> {
        let role = new.role.unwrap_or(UserRole::Member);
        let user = self.insert_user(new, role, None, false).await?;
        self.audit
            .record(
                "user-created",
                Some(&admin.user.id),
                Some(&user.id),
                None,
                client,
                json!({"username": user.username, "role": role.as_str()}),
            )
            .await;
        Ok(user)
    }

    /// Insert an account, and with `own_profile` a profile it owns (named as
    /// given, or after the person). With
    /// `only_if_first`, the insert happens only while no account exists, so two
    /// racing setups cannot both succeed.
    pub(super) async fn insert_user(
        &self,
        new: NewUser,
        role: UserRole,
        own_profile: Option<Option<String>>,
        only_if_first: bool,
    ) -> Result<User, AuthError> {
        let username = new.username.trim().to_string();
        check_username(&username)?;
        let display_name = clean_display_name(new.display_name.as_deref(), &username)?;
        let hash = self.hash_password("password", &new.password).await?;
        let id = new_id();
        let now = now_text();
        let mut tx = crate::db::write_tx(&self.db).await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, role, created_at, password_changed_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
             WHERE NOT ?7 OR NOT EXISTS (SELECT 1 FROM users)
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(&id)
        .bind(&username)
        .bind(&display_name)
        .bind(&hash)
        .bind(role.as_str())
        .bind(&now)
        .bind(only_if_first)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(if only_if_first {
                already_set_up()
            } else {
                AuthError::conflict(
                    "username-taken",
                    format!("the username {username:?} is taken"),
                )
            });
        }
        if let Some(name) = own_profile {
            let name = match name.as_deref().map(str::trim) {
                Some(n) => super::profiles::check_profile_name(n)?,
                None => display_name.clone(),
            };
            let profile = super::profiles::insert_profile(&mut tx, &id, &name, None).await?;
            if only_if_first {
                sqlx::query("UPDATE sources SET profile_id = ? WHERE profile_id IS NULL")
                    .bind(&profile)
                    .execute(&mut *tx)
                    .await?;
                for adopt in [
                    "UPDATE resources SET profile_id = ? WHERE profile_id IS NULL",
                    "UPDATE resource_tokens SET profile_id = ? WHERE profile_id IS NULL",
                    "UPDATE observation_values SET profile_id = ? WHERE profile_id IS NULL",
                ] {
                    sqlx::query(adopt).bind(&profile).execute(&mut *tx).await?;
                }
            }
        }
        tx.commit().await?;
        tracing::info!(user = %id, username = %username, role = role.as_str(), "account created");
        self.user(&id).await
    }

    /// One account.
    pub async fn user(&self, id: &str) -> Result<User, AuthError> {
        let row = sqlx::query(select_user!("WHERE u.id = ?"))
            .bind(id)
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| AuthError::NotFound(format!("no user with id {id:?}")))?;
        user_from_row(&row)
    }

    /// Every account, by username.
    pub async fn users(&self) -> Result<Vec<User>, AuthError> {
        let rows = sqlx::query(select_user!("ORDER BY u.username"))
            .fetch_all(&self.db)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// An administrator changes an account's name, role or enabled state.
    pub async fn update_user(
        &self,
        admin: &Caller,
        id: &str,
        changes: UserChanges,
        client: &ClientInfo,
    ) -> Result<User, AuthError> {
        self.change_user(Some(&admin.user.id), id, changes, client)
            .await
    }

    /// Console recovery: change an account without an admin session.
    pub async fn console_update_user(
        &self,
        id: &str,
        changes: UserChanges,
    ) -> Result<User, AuthError> {
        self.change_user(None, id, changes, &ClientInfo::console())
            .await
    }

    async fn change_user(
        &self,
        actor: Option<&str>,
        id: &str,
        changes: UserChanges,
        client: &ClientInfo,
    ) -> Result<User, AuthError> {
        let before = self.user(id).await?;
        let display_name = match &changes.display_name {
            Some(n) => clean_display_name(Some(n), "")?,
            None => before.display_name.clone(),
        };
        let role = changes.role.unwrap_or(before.role);
        let disabled = changes.disabled.unwrap_or(before.disabled);
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query("UPDATE users SET display_name = ?, role = ?, disabled = ? WHERE id = ?")
            .bind(&display_name)
            .bind(role.as_str())
            .bind(disabled)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        ensure_an_admin_remains(&mut tx).await?;
        if disabled && !before.disabled {
            super::sessions::revoke_all(&mut tx, id, None, "account disabled").await?;
        }
        tx.commit().await?;
        for (event, changed) in [
            ("user-disabled", disabled && !before.disabled),
            ("user-enabled", !disabled && before.disabled),
            ("user-role-changed", role != before.role),
            ("user-renamed", display_name != before.display_name),
        ] {
            if changed {
                self.audit
                    .record(
                        event,
                        actor,
                        Some(id),
                        None,
                        client,
                        json!({"username": before.username, "role": role.as_str()}),
                    )
                    .await;
            }
        }
        self.user(id).await
    }

    /// An administrator sets a new password; every session of the account ends.
    pub async fn reset_password(
        &self,
        admin: Option<&Caller>,
        id: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let user = self.user(id).await?;
        let hash = self.hash_password("new_password", new_password).await?;
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?")
            .bind(&hash)
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        super::sessions::revoke_all(&mut tx, id, None, "password reset").await?;
        tx.commit().await?;
        self.audit
            .record(
                "password-reset",
                admin.map(|a| a.user.id.as_str()),
                Some(id),
                None,
                client,
                json!({"username": user.username}),
            )
            .await;
        Ok(())
    }

    /// Check the caller's current password, given in `field`. Throttled like
    /// a sign-in (the same counts): a stolen session must not become a way to
    /// guess the password.
    pub(super) async fn check_current_password(
        &self,
        caller: &Caller,
        field: &str,
        password: &str,
    ) -> Result<(), AuthError> {
        let attempt = self
            .limiter
            .begin_recheck(&caller.user.username, std::time::Instant::now())?;
        let phc: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
            .bind(&caller.user.id)
            .fetch_one(&self.db)
            .await?;
        if self.verify_password(password, &phc).await? {
            attempt.settle(super::limiter::Settled::NotCounted);
            Ok(())
        } else {
            Err(AuthError::Forbidden(format!(
                "`{field}` is not your current password"
            )))
        }
    }

    /// The user changes their own password; their other sessions end.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        if let Err(e) = self
            .check_current_password(caller, "current_password", current)
            .await
        {
            if matches!(e, AuthError::Forbidden(_)) {
                self.audit
                    .record_own("password-change-failed", &caller.user.id, client)
                    .await;
            }
            return Err(e);
        }
        let hash = self.hash_password("new_password", new_password).await?;
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?")
            .bind(&hash)
            .bind(now_text())
            .bind(&caller.user.id)
            .execute(&mut *tx)
            .await?;
        super::sessions::revoke_all(
            &mut tx,
            &caller.user.id,
            Some(&caller.session_id),
            "password changed",
        )
        .await?;
        tx.commit().await?;
        self.audit
            .record_own("password-changed", &caller.user.id, client)
            .await;
        Ok(())
    }

    /// An administrator deletes an account and its grants. Refused for the
    /// last administrator and for the only owner of a profile (ownership must
    /// move first, so no record is left without a keeper).
    pub async fn delete_user(
        &self,
        admin: &Caller,
        id: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let user = self.user(id).await?;
        let orphaned: Vec<String> = sqlx::query_scalar(
            "SELECT p.name FROM grants g JOIN profiles p ON p.id = g.profile_id
             WHERE g.user_id = ?1 AND g.role = 'owner'
               AND NOT EXISTS (SELECT 1 FROM grants o WHERE o.profile_id = g.profile_id
                               AND o.role = 'owner' AND o.user_id <> ?1)
             ORDER BY p.name",
        )
        .bind(id)
        .fetch_all(&self.db)
        .await?;
        if !orphaned.is_empty() {
            return Err(AuthError::conflict(
                "sole-owner",
                format!(
                    "{} is the only owner of {}; transfer or delete those profiles first",
                    user.username,
                    orphaned.join(", ")
                ),
            ));
        }
        let mut tx = crate::db::write_tx(&self.db).await?;
        sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        ensure_an_admin_remains(&mut tx).await?;
        tx.commit().await?;
        self.audit
            .record(
                "user-deleted",
                Some(&admin.user.id),
                Some(id),
                None,
                client,
                json!({"username": user.username}),
            )
            .await;
        Ok(())
    }

    /// The account with `username`, for the console commands.
    pub async fn user_by_name(&self, username: &str) -> Result<User, AuthError> {
        let row = sqlx::query(select_user!("WHERE u.username = ?"))
            .bind(username.trim())
            .fetch_optional(&self.db)
            .await?
            .ok_or_else(|| AuthError::NotFound(format!("no user named {username:?}")))?;
        user_from_row(&row)
    }

    /// Console recovery: create an account without an admin session.
    pub async fn console_add_user(&self, new: NewUser) -> Result<User, AuthError> {
        let role = new.role.unwrap_or(UserRole::Member);
        let user = self.insert_user(new, role, None, false).await?;
        self.audit
            .record(
                "user-created",
                None,
                Some(&user.id),
                None,
                &ClientInfo::console(),
                json!({"username": user.username, "role": role.as_str(), "via": "console"}),
            )
            .await;
        Ok(user)
    }
}

fn already_set_up() -> AuthError {
    AuthError::conflict(
        "already-set-up",
        "Hearth is already set up; sign in instead",
    )
}

/// Fail (rolling back) if the change left no enabled administrator.
async fn ensure_an_admin_remains(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
) -> Result<(), AuthError> {
    let admins: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled")
            .fetch_one(&mut **tx)
            .await?;
    if admins == 0 {
        return Err(AuthError::conflict(
            "last-admin",
            "this is the last enabled administrator; make someone else an administrator first",
        ));
    }
    Ok(())
}

impl ClientInfo {
    /// The person at the server's console.
    pub fn console() -> ClientInfo {
        ClientInfo {
            address: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            user_agent: Some("hearth console".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn setup_adopts_sources_from_before_accounts_and_closes() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open(dir.path()).await.unwrap();
        sqlx::query(
            "INSERT INTO sources (id, name, connector, fhir_base_url, patient_id, token, created_at)
             VALUES ('old', 'old', 'fhir-r4', 'http://x', 'p', x'00', 'then')",
        )
        .execute(&db)
        .await
        .unwrap();
        let auth = Auth::new(
            db.clone(),
            super::super::tokens::TokenKeys::from_secret(&[1; 32]).unwrap(),
            crate::secrets::TokenCipher::load_or_create(dir.path()).unwrap(),
            false,
        )
        .unwrap();
        let new = |name: &str| NewUser {
            username: name.into(),
            password: "a quiet meadow at noon".into(),
            display_name: None,
            role: None,
        };
        let user = auth
            .setup(new("mum"), None, &ClientInfo::console())
            .await
            .unwrap();
        assert_eq!(user.role, UserRole::Admin);
        let (profile, name): (String, String) = sqlx::query_as(
            "SELECT p.id, p.name FROM profiles p JOIN grants g ON g.profile_id = p.id
             WHERE g.user_id = ? AND g.role = 'owner'",
        )
        .bind(&user.id)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(
            name, "mum",
            "the profile is named after the person by default"
        );
        let adopted: Option<String> =
            sqlx::query_scalar("SELECT profile_id FROM sources WHERE id = 'old'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(adopted, Some(profile));
        assert!(matches!(
            auth.setup(new("dad"), None, &ClientInfo::console()).await,
            Err(AuthError::Conflict {
                kind: "already-set-up",
                ..
            })
        ));
    }

    #[test]
    fn usernames_have_a_safe_shape() {
        for good in ["mum", "Dad.Smith", "kid_2", "gran@example.org", "a"] {
            assert!(check_username(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".dot",
            "-x",
            "has space",
            "colon:name",
            "ünï",
            &"x".repeat(65),
        ] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
    }
}
