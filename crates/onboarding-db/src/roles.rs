//! The functions' database roles (migration `*_function_roles.sql`) and
//! their passwords.
//!
//! A role's password is set as a SCRAM-SHA-256 verifier computed here
//! (RFC 5803's format, as PostgreSQL stores it in `pg_authid.rolpassword`),
//! never as clear text, so no statement log, `pg_stat_statements` or error
//! message of the server ever holds the password itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::DbError;

/// Each function and the database role it connects as: the roles the
/// migration creates, and the only ones [`set_role_password`] will touch.
///
/// `console` is no function: it is the operator console's read-only login
/// (migration `*_operator_console.sql`), which the vendor-api opens for the
/// safe-query console only, with its own secret.
pub const FUNCTION_ROLES: [(&str, &str); 5] = [
    ("csv-parser", "onboarding_parser"),
    ("product-validator", "onboarding_validator"),
    ("error-processor", "onboarding_error_processor"),
    ("vendor-api", "onboarding_api"),
    ("console", "onboarding_console"),
];

/// PostgreSQL's default (`scram_iterations`).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// Length of a fresh salt, as PostgreSQL makes them.
const SALT_LEN: usize = 16;

/// HMAC-SHA-256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// SCRAM's `Hi()`: PBKDF2-HMAC-SHA-256 with one output block (RFC 5802).
fn salted_password(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password, salt, iterations)
}

/// The keys SCRAM-SHA-256 derives from a password (RFC 5802, section 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScramKeys {
    pub client_key: [u8; 32],
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

pub fn scram_keys(password: &str, salt: &[u8], iterations: u32) -> ScramKeys {
    let salted = salted_password(password.as_bytes(), salt, iterations);
    let client_key = hmac_sha256(&salted, b"Client Key");
    ScramKeys {
        client_key,
        stored_key: Sha256::digest(client_key).into(),
        server_key: hmac_sha256(&salted, b"Server Key"),
    }
}

/// The verifier PostgreSQL stores for `password`:
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64).
///
/// PostgreSQL normalises a password with SASLprep first, which leaves ASCII
/// as is; [`set_role_password`] accepts only ASCII passwords, so the
/// verifier is the one the server would compute itself.
pub fn scram_sha256_verifier(password: &str, salt: &[u8], iterations: u32) -> String {
    let keys = scram_keys(password, salt, iterations);
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(keys.stored_key),
        STANDARD.encode(keys.server_key),
    )
}

/// An identifier quoted as PostgreSQL's `quote_ident` does.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Sets the password of one of [`FUNCTION_ROLES`], as a SCRAM-SHA-256
/// verifier with a fresh salt. Any other role, an empty password or one
/// that is not printable ASCII is refused.
///
/// Running it again with the same password leaves the role with the same
/// password (a new salt, the same login). Roles are shared by every database
/// of the cluster, so migrators of two databases may change the same role
/// at once; PostgreSQL refuses the second ("tuple concurrently updated"),
/// which is retried.
pub async fn set_role_password(pool: &PgPool, role: &str, password: &str) -> Result<(), DbError> {
    let mut connection = pool.acquire().await?;
    set_role_password_on(&mut connection, role, password).await
}

/// [`set_role_password`] on one connection (or inside a transaction).
pub async fn set_role_password_on(
    connection: &mut PgConnection,
    role: &str,
    password: &str,
) -> Result<(), DbError> {
    if !FUNCTION_ROLES.iter().any(|(_, known)| *known == role) {
        return Err(DbError::Seed(format!(
            "refusing to set the password of role {role:?}: not one of the functions' roles"
        )));
    }
    if password.is_empty() || !password.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(DbError::Seed(format!(
            "the password for role {role} must be non-empty printable ASCII"
        )));
    }
    let salt: [u8; SALT_LEN] = rand::random();
    let verifier = scram_sha256_verifier(password, &salt, SCRAM_ITERATIONS);
    // The verifier is base64, digits and `$:-`: no quote can end the literal.
    let statement = format!("ALTER ROLE {} PASSWORD '{verifier}'", quote_ident(role));
    let mut attempt = 1u64;
    loop {
        match sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut *connection)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if attempt < 20 && e.to_string().contains("concurrently updated") => {
                tokio::time::sleep(std::time::Duration::from_millis(10 * attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7677, section 3: the SCRAM-SHA-256 exchange of user "user" with
    // password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ== and 4096 iterations.
    const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
    const AUTH_MESSAGE: &str = "n=user,r=rOprNGfwEbeRWgbNEkqO,\
        r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\
        c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const CLIENT_PROOF: &str = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_SIGNATURE: &str = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    #[test]
    fn the_keys_reproduce_the_rfc_7677_exchange() {
        let salt = STANDARD.decode(SALT).expect("salt");
        let keys = scram_keys("pencil", &salt, 4096);
        // ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)
        let signature = hmac_sha256(&keys.stored_key, AUTH_MESSAGE.as_bytes());
        let proof: Vec<u8> = keys
            .client_key
            .iter()
            .zip(signature)
            .map(|(k, s)| k ^ s)
            .collect();
        assert_eq!(STANDARD.encode(proof), CLIENT_PROOF);
        // ServerSignature = HMAC(ServerKey, AuthMessage)
        assert_eq!(
            STANDARD.encode(hmac_sha256(&keys.server_key, AUTH_MESSAGE.as_bytes())),
            SERVER_SIGNATURE
        );
    }

    #[test]
    fn the_verifier_has_postgresqls_format() {
        let salt = STANDARD.decode(SALT).expect("salt");
        let keys = scram_keys("pencil", &salt, 4096);
        assert_eq!(
            scram_sha256_verifier("pencil", &salt, 4096),
            format!(
                "SCRAM-SHA-256$4096:{SALT}${}:{}",
                STANDARD.encode(keys.stored_key),
                STANDARD.encode(keys.server_key)
            )
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_sha256(b"Jefe", b"what do ya want for nothing?")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    /// The salt of a stored verifier.
    fn salt_of(verifier: &str) -> Vec<u8> {
        let salt = verifier
            .strip_prefix("SCRAM-SHA-256$4096:")
            .and_then(|rest| rest.split_once('$'))
            .map(|(salt, _)| salt)
            .unwrap_or_else(|| panic!("not a SCRAM verifier: {verifier}"));
        STANDARD.decode(salt).expect("salt")
    }

    async fn stored(connection: &mut PgConnection, role: &str) -> String {
        sqlx::query_scalar::<_, String>("SELECT rolpassword FROM pg_authid WHERE rolname = $1")
            .bind(role)
            .fetch_one(&mut *connection)
            .await
            .expect("rolpassword")
    }

    /// PostgreSQL keeps the verifier as sent (it recognises it as one), and
    /// computes the same verifier itself from the clear password and a salt.
    /// Inside a transaction that is rolled back: roles belong to the cluster.
    #[tokio::test]
    async fn postgresql_stores_and_agrees_with_the_verifier() {
        use sqlx::Connection as _;
        let db = crate::testing::fresh_database().await;
        let mut connection = db.pool.acquire().await.expect("connection");
        let mut tx = connection.begin().await.expect("begin");
        let password = "Correct7Horse9Battery";

        set_role_password_on(&mut tx, "onboarding_api", password)
            .await
            .expect("set");
        let ours = stored(&mut tx, "onboarding_api").await;
        assert_eq!(
            ours,
            scram_sha256_verifier(password, &salt_of(&ours), 4096),
            "stored as sent"
        );

        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SET LOCAL password_encryption = 'scram-sha-256'; \
             ALTER ROLE onboarding_api PASSWORD '{password}'"
        )))
        .execute(&mut *tx)
        .await
        .expect("PostgreSQL's own");
        let theirs = stored(&mut tx, "onboarding_api").await;
        assert_eq!(
            theirs,
            scram_sha256_verifier(password, &salt_of(&theirs), 4096),
            "PostgreSQL's verifier"
        );
        tx.rollback().await.expect("rollback");

        assert!(
            set_role_password(&db.pool, "postgres", password)
                .await
                .is_err()
        );
        assert!(
            set_role_password(&db.pool, "onboarding_api", "")
                .await
                .is_err()
        );
        assert!(
            set_role_password(&db.pool, "onboarding_api", "pässword")
                .await
                .is_err()
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("onboarding_api"), "\"onboarding_api\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
