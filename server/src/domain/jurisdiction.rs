//! Jurisdictions: province > city (设区市) > county/district (县/区), keyed by administrative code.

pub use mobile_api::JurisdictionLevel as Level;

/// A 6-digit administrative division code, e.g. `350881` (漳平市).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JurisdictionCode(String);

impl JurisdictionCode {
    pub fn parse(raw: &str) -> Result<Self, JurisdictionError> {
        let code = raw.trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(JurisdictionCode(code.to_owned()))
        } else {
            Err(JurisdictionError::BadCode(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for JurisdictionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Codes from the root down joined by `/`; a jurisdiction's subtree is every path that
/// equals it or starts with it followed by `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JurisdictionPath(String);

impl JurisdictionPath {
    pub fn root(code: &JurisdictionCode) -> Self {
        JurisdictionPath(code.0.clone())
    }

    pub fn child(&self, code: &JurisdictionCode) -> Self {
        JurisdictionPath(format!("{}/{}", self.0, code.0))
    }

    /// Rebuilds a stored path.
    pub fn from_stored(path: String) -> Self {
        JurisdictionPath(path)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` is this jurisdiction or one of its descendants.
    pub fn contains(&self, other: &JurisdictionPath) -> bool {
        other.0 == self.0
            || (other.0.starts_with(&self.0) && other.0.as_bytes().get(self.0.len()) == Some(&b'/'))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Jurisdiction {
    pub code: JurisdictionCode,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<JurisdictionCode>,
    pub path: JurisdictionPath,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JurisdictionError {
    #[error("code: {0:?} is not a 6-digit administrative code")]
    BadCode(String),
    #[error("parent_code: a {child:?} cannot sit under a {parent:?}")]
    BadNesting { child: Level, parent: Level },
    #[error("parent_code: a {0:?} needs a parent")]
    MissingParent(Level),
    #[error("parent_code: a province has no parent")]
    ProvinceWithParent,
}

fn rank(level: Level) -> u8 {
    match level {
        Level::Province => 0,
        Level::City => 1,
        Level::County => 2,
    }
}

/// A province is a root; a city sits under a province; a county under a city or,
/// for province-administered counties (省直管县), directly under a province.
pub fn check_nesting(level: Level, parent: Option<Level>) -> Result<(), JurisdictionError> {
    match (level, parent) {
        (Level::Province, None) => Ok(()),
        (Level::Province, Some(_)) => Err(JurisdictionError::ProvinceWithParent),
        (child, None) => Err(JurisdictionError::MissingParent(child)),
        (child, Some(parent)) if rank(parent) < rank(child) => Ok(()),
        (child, Some(parent)) => Err(JurisdictionError::BadNesting { child, parent }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> JurisdictionCode {
        JurisdictionCode::parse(s).expect("valid code")
    }

    #[test]
    fn codes_are_six_digits() {
        assert!(JurisdictionCode::parse("350881").is_ok());
        for bad in ["35088", "3508811", "35088a", "", "３５０８８１"] {
            assert!(JurisdictionCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_path_contains_itself_and_descendants_only() {
        let fujian = JurisdictionPath::root(&code("350000"));
        let longyan = fujian.child(&code("350800"));
        let zhangping = longyan.child(&code("350881"));
        let quanzhou = fujian.child(&code("350500"));
        assert!(longyan.contains(&longyan));
        assert!(longyan.contains(&zhangping));
        assert!(fujian.contains(&zhangping));
        assert!(!longyan.contains(&fujian));
        assert!(!longyan.contains(&quanzhou));
    }

    #[test]
    fn a_prefix_that_is_not_a_path_boundary_is_not_contained() {
        let a = JurisdictionPath::from_stored("350000/350800".into());
        let b = JurisdictionPath::from_stored("350000/3508001".into());
        assert!(!a.contains(&b));
    }

    #[test]
    fn nesting_follows_the_administrative_hierarchy() {
        assert!(check_nesting(Level::Province, None).is_ok());
        assert!(check_nesting(Level::City, Some(Level::Province)).is_ok());
        assert!(check_nesting(Level::County, Some(Level::City)).is_ok());
        assert!(check_nesting(Level::County, Some(Level::Province)).is_ok());
        assert!(check_nesting(Level::City, Some(Level::County)).is_err());
        assert!(check_nesting(Level::Province, Some(Level::Province)).is_err());
        assert!(check_nesting(Level::County, None).is_err());
    }
}
