//! Password hashing with argon2id, off the async threads, and login checks that cost
//! the same argon2 work whether the phone is known or not.
//!
//! Why equal work matters: a login that fails faster for an unknown phone tells an
//! attacker which phones have accounts. So an unknown phone is checked against a
//! dummy hash made with the *current* cost, and a stored hash made with an older,
//! cheaper cost is topped up with a dummy check too (it is replaced by a hash of the
//! current cost at the user's next successful login).

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::AuthError;

/// Argon2id cost. The default follows OWASP's minimum (19 MiB, 2 passes); tests lower it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

impl PasswordCost {
    fn params(self) -> Result<Params, AuthError> {
        Params::new(self.memory_kib, self.iterations, 1, None)
            .map_err(|e| AuthError::Hashing(e.to_string()))
    }
}

/// Argon2 work, in KiB-passes (memory × passes × lanes): what a check costs, whatever
/// the machine. Only compared, never shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Work(pub u64);

impl Work {
    fn of(params: &Params) -> Work {
        Work(u64::from(params.m_cost()) * u64::from(params.t_cost()) * u64::from(params.p_cost()))
    }
}

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into a PHC string (algorithm, cost and salt travel with it).
pub fn hash_blocking(password: &str, cost: PasswordCost) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(cost.params()?)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

pub async fn hash(password: String, cost: PasswordCost) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password, cost))
        .await
        .map_err(|e| AuthError::Hashing(e.to_string()))?
}

/// A stored hash as far as it could be read: its parameters (None: not an argon2
/// PHC string we can verify).
struct Stored<'a> {
    hash: Option<PasswordHash<'a>>,
    params: Option<Params>,
    argon2id_v13: bool,
}

impl<'a> Stored<'a> {
    fn parse(phc: &'a str) -> Stored<'a> {
        let hash = PasswordHash::new(phc).ok();
        let params = hash.as_ref().and_then(|h| Params::try_from(h).ok());
        let argon2id_v13 = hash.as_ref().is_some_and(|h| {
            h.algorithm == Algorithm::Argon2id.ident() && h.version == Some(Version::V0x13.into())
        });
        Stored {
            hash,
            params,
            argon2id_v13,
        }
    }

    /// True when `password` matches; and the work that took (none for a hash that
    /// could not be read).
    fn verify(&self, password: &str) -> (bool, Work) {
        match (&self.hash, &self.params) {
            (Some(hash), Some(params)) => (
                Argon2::default()
                    .verify_password(password.as_bytes(), hash)
                    .is_ok(),
                Work::of(params),
            ),
            _ => (false, Work::default()),
        }
    }

    /// Made with exactly the current algorithm, version and cost.
    fn is_current(&self, current: &Params) -> bool {
        self.argon2id_v13
            && self.params.as_ref().is_some_and(|p| {
                p.m_cost() == current.m_cost()
                    && p.t_cost() == current.t_cost()
                    && p.p_cost() == current.p_cost()
            })
    }
}

/// The outcome of a login's password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The password matches. `rehashed`: the password hashed with the current cost,
    /// to store in place of a hash made with another cost.
    Matched { rehashed: Option<String> },
    /// Wrong password, unknown phone, or an unreadable stored hash: all alike.
    Refused,
}

/// Hashing and login checks at the configured cost. Cheap to clone.
#[derive(Clone)]
pub struct Passwords {
    cost: PasswordCost,
    params: Params,
    /// What an unknown phone is checked against: made at first need, with the
    /// current cost, so it costs exactly what a current stored hash costs.
    dummy: Arc<OnceLock<String>>,
}

impl Passwords {
    /// Fails when `cost` is not a valid argon2 cost (so a bad configuration stops the
    /// server at start rather than at the first login).
    pub fn new(cost: PasswordCost) -> Result<Passwords, AuthError> {
        Ok(Passwords {
            cost,
            params: cost.params()?,
            dummy: Arc::new(OnceLock::new()),
        })
    }

    pub fn cost(&self) -> PasswordCost {
        self.cost
    }

    /// The argon2 work of one check against a hash of the current cost.
    pub fn current_work(&self) -> Work {
        Work::of(&self.params)
    }

    fn dummy_hash(&self) -> Result<&str, AuthError> {
        if let Some(hash) = self.dummy.get() {
            return Ok(hash);
        }
        let made = hash_blocking("timing-equaliser-not-a-password", self.cost)?;
        // A concurrent first caller may have won; either hash has the current cost.
        Ok(self.dummy.get_or_init(|| made))
    }

    /// Checks `password` against the `stored` hash of the user the phone names (None:
    /// no such user) and answers the outcome and the argon2 work done: for a refusal
    /// never less than [`Passwords::current_work`].
    pub fn check_blocking(&self, password: &str, stored: Option<&str>) -> (Checked, Work) {
        let stored = stored.map(Stored::parse);
        let (matched, mut work) = stored
            .as_ref()
            .map_or((false, Work::default()), |s| s.verify(password));
        // Unknown phone, unreadable hash or cheaper old cost: top up with a check of
        // the current cost, so no failure is faster than a current hash's. (A match
        // reveals nothing the caller does not know.)
        if !matched && work < self.current_work() {
            match self.dummy_hash() {
                Ok(dummy) => {
                    let (_, dummy_work) = Stored::parse(dummy).verify(password);
                    work.0 += dummy_work.0;
                }
                Err(error) => tracing::error!(%error, "no dummy password hash"),
            }
        }
        if !matched {
            return (Checked::Refused, work);
        }
        let is_current = stored.as_ref().is_some_and(|s| s.is_current(&self.params));
        let rehashed = if is_current {
            None
        } else {
            match hash_blocking(password, self.cost) {
                Ok(hash) => Some(hash),
                Err(error) => {
                    tracing::warn!(%error, "could not rehash a password at the current cost");
                    None
                }
            }
        };
        (Checked::Matched { rehashed }, work)
    }

    /// [`Passwords::check_blocking`] on a blocking thread.
    pub async fn check(&self, password: String, stored: Option<String>) -> Checked {
        let passwords = self.clone();
        tokio::task::spawn_blocking(move || {
            passwords.check_blocking(&password, stored.as_deref()).0
        })
        .await
        .unwrap_or(Checked::Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: PasswordCost = PasswordCost {
        memory_kib: 256,
        iterations: 1,
    };
    /// What the cost was raised to.
    const RAISED: PasswordCost = PasswordCost {
        memory_kib: 512,
        iterations: 2,
    };

    fn passwords(cost: PasswordCost) -> Passwords {
        Passwords::new(cost).expect("a valid cost")
    }

    fn params_of(phc: &str) -> Params {
        Params::try_from(&PasswordHash::new(phc).expect("a PHC string")).expect("argon2 params")
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash_blocking("correct horse", CHEAP).expect("hashes");
        assert!(phc.starts_with("$argon2id$"));
        let passwords = passwords(CHEAP);
        assert_eq!(
            passwords.check_blocking("correct horse", Some(&phc)).0,
            Checked::Matched { rehashed: None }
        );
        assert_eq!(
            passwords.check_blocking("wrong horse", Some(&phc)).0,
            Checked::Refused
        );
    }

    #[test]
    fn the_dummy_hash_is_made_once_with_the_current_cost() {
        let passwords = passwords(RAISED);
        let dummy = passwords.dummy_hash().expect("hashes").to_owned();
        let params = params_of(&dummy);
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (512, 2, 1)
        );
        assert!(Stored::parse(&dummy).is_current(&passwords.params));
        assert_eq!(passwords.dummy_hash().expect("cached"), dummy, "made once");
    }

    #[test]
    fn an_unknown_phone_costs_the_same_argon2_work_as_a_known_one() {
        let passwords = passwords(RAISED);
        let stored = hash_blocking("the password", RAISED).expect("hashes");
        let (known, known_work) = passwords.check_blocking("a guess", Some(&stored));
        let (unknown, unknown_work) = passwords.check_blocking("a guess", None);
        assert_eq!((known, unknown), (Checked::Refused, Checked::Refused));
        assert_eq!(known_work, passwords.current_work());
        assert_eq!(unknown_work, known_work);
    }

    #[test]
    fn a_hash_of_an_older_cheaper_cost_is_topped_up_to_the_current_work() {
        let old = hash_blocking("the password", CHEAP).expect("hashes");
        let passwords = passwords(RAISED);
        let (outcome, work) = passwords.check_blocking("a guess", Some(&old));
        assert_eq!(outcome, Checked::Refused);
        assert!(
            work >= passwords.current_work(),
            "{work:?} < {:?}: a known phone with an old hash would fail faster",
            passwords.current_work()
        );
    }

    #[test]
    fn a_malformed_hash_never_verifies_and_still_costs_the_current_work() {
        let passwords = passwords(CHEAP);
        let (outcome, work) = passwords.check_blocking("anything", Some("not-a-phc-string"));
        assert_eq!(outcome, Checked::Refused);
        assert_eq!(work, passwords.current_work());
    }

    #[test]
    fn a_matching_hash_of_another_cost_is_rehashed_at_the_current_cost() {
        let old = hash_blocking("the password", CHEAP).expect("hashes");
        let passwords = passwords(RAISED);
        let Checked::Matched {
            rehashed: Some(new),
        } = passwords.check_blocking("the password", Some(&old)).0
        else {
            panic!("an old-cost hash that matches is rehashed");
        };
        let params = params_of(&new);
        assert_eq!((params.m_cost(), params.t_cost()), (512, 2));
        assert_eq!(
            passwords.check_blocking("the password", Some(&new)).0,
            Checked::Matched { rehashed: None },
            "the new hash verifies and is current"
        );
        // A wrong password never rehashes.
        assert_eq!(
            passwords.check_blocking("a guess", Some(&old)).0,
            Checked::Refused
        );
    }

    #[test]
    fn an_invalid_cost_is_refused_up_front() {
        assert!(
            Passwords::new(PasswordCost {
                memory_kib: 1,
                iterations: 1
            })
            .is_err()
        );
    }
}
