//! Who may touch what: roles and the jurisdiction or organization a caller is confined to.

use uuid::Uuid;

pub use mobile_api::Role;

use super::jurisdiction::JurisdictionPath;

/// The part of the world a caller can see.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    Everything,
    /// A supervisor: this jurisdiction and its descendants.
    Jurisdiction(JurisdictionPath),
    /// A hospital or clinic administrator: one organization.
    Organization(Uuid),
    /// A physician or kiosk: only their own things.
    Own,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
    pub scope: Scope,
}

/// Where an object sits, for scope checks.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    pub jurisdiction: &'a JurisdictionPath,
    pub organization_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The role may never do this (403).
    #[error("forbidden")]
    Forbidden,
    /// The object is outside the caller's scope; its existence is not revealed (404).
    #[error("not found")]
    Hidden,
}

impl Actor {
    /// Fails with `Forbidden` unless the caller holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AccessError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AccessError::Forbidden)
        }
    }

    /// True when the caller's scope covers an object placed at `at`.
    pub fn reaches(&self, at: Placement<'_>) -> bool {
        match &self.scope {
            Scope::Everything => true,
            Scope::Jurisdiction(root) => root.contains(at.jurisdiction),
            Scope::Organization(id) => at.organization_id == Some(*id),
            Scope::Own => false,
        }
    }

    /// `reaches`, as a result: outside the scope reads as not found.
    pub fn check_reach(&self, at: Placement<'_>) -> Result<(), AccessError> {
        if self.reaches(at) {
            Ok(())
        } else {
            Err(AccessError::Hidden)
        }
    }

    /// True when the caller's scope covers the whole jurisdiction at `path`.
    pub fn reaches_jurisdiction(&self, path: &JurisdictionPath) -> bool {
        match &self.scope {
            Scope::Everything => true,
            Scope::Jurisdiction(root) => root.contains(path),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> JurisdictionPath {
        JurisdictionPath::from_stored(s.to_owned())
    }

    fn supervisor(of: &str) -> Actor {
        Actor {
            user_id: Uuid::new_v4(),
            role: Role::Supervisor,
            scope: Scope::Jurisdiction(path(of)),
        }
    }

    #[test]
    fn a_supervisor_reaches_inside_the_subtree_only() {
        let sup = supervisor("350000/350800");
        let inside = path("350000/350800/350881");
        let outside = path("350000/350500");
        let org = Some(Uuid::new_v4());
        assert!(sup.reaches(Placement {
            jurisdiction: &inside,
            organization_id: org
        }));
        assert_eq!(
            sup.check_reach(Placement {
                jurisdiction: &outside,
                organization_id: org
            }),
            Err(AccessError::Hidden)
        );
    }

    #[test]
    fn an_organization_admin_reaches_only_its_organization() {
        let own = Uuid::new_v4();
        let admin = Actor {
            user_id: Uuid::new_v4(),
            role: Role::ClinicAdmin,
            scope: Scope::Organization(own),
        };
        let p = path("350000");
        assert!(admin.reaches(Placement {
            jurisdiction: &p,
            organization_id: Some(own)
        }));
        assert!(!admin.reaches(Placement {
            jurisdiction: &p,
            organization_id: Some(Uuid::new_v4())
        }));
        assert!(!admin.reaches_jurisdiction(&p));
    }

    #[test]
    fn require_refuses_other_roles() {
        let sup = supervisor("350000");
        assert!(sup.require(&[Role::Admin, Role::Supervisor]).is_ok());
        assert_eq!(sup.require(&[Role::Admin]), Err(AccessError::Forbidden));
    }
}
