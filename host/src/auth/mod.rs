//! Accounts and sessions. So far: password hashing and policy, and signed
//! access tokens; users, sessions, profiles and grants build on these.

pub mod limiter;
pub mod password;
pub mod tokens;
