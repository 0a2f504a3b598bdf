//! Coverage (全覆盖): which receiving clinics got a physician's credited service in
//! a period, and how much.

use std::collections::{BTreeSet, HashMap};

use uuid::Uuid;

use super::organization::OrganizationKind;

/// Whether organizations of `kind` receive physicians (受援单位).
pub fn receives(kind: OrganizationKind) -> bool {
    matches!(
        kind,
        OrganizationKind::TownshipHealthCenter
            | OrganizationKind::CommunityHealthCenter
            | OrganizationKind::VillageClinic
    )
}

/// The kind's name as the circulars write it.
pub fn kind_zh(kind: OrganizationKind) -> &'static str {
    match kind {
        OrganizationKind::Hospital => "医院",
        OrganizationKind::TownshipHealthCenter => "乡镇卫生院",
        OrganizationKind::CommunityHealthCenter => "社区卫生服务中心",
        OrganizationKind::VillageClinic => "村卫生室",
        OrganizationKind::Cdc => "疾控中心",
        OrganizationKind::HealthBureau => "卫生健康局",
    }
}

/// One physician's credit at one site in the period (a monthly report row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served {
    pub site_id: Uuid,
    pub physician_id: Uuid,
    pub credited_half_days: u32,
    pub qualifying_visits: u32,
}

/// What one site received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteCoverage {
    pub credited_half_days: u32,
    pub qualifying_visits: u32,
    physicians: BTreeSet<Uuid>,
}

impl SiteCoverage {
    pub fn credited_days(&self) -> f64 {
        f64::from(self.credited_half_days) / 2.0
    }

    /// Distinct physicians credited with at least half a day.
    pub fn physicians(&self) -> u32 {
        u32::try_from(self.physicians.len()).unwrap_or(u32::MAX)
    }

    /// Covered means someone's service was credited there.
    pub fn covered(&self) -> bool {
        self.credited_half_days > 0
    }
}

/// Adds the rows up per site.
pub fn by_site(rows: impl IntoIterator<Item = Served>) -> HashMap<Uuid, SiteCoverage> {
    let mut out: HashMap<Uuid, SiteCoverage> = HashMap::new();
    for row in rows {
        let site = out.entry(row.site_id).or_default();
        site.credited_half_days += row.credited_half_days;
        site.qualifying_visits += row.qualifying_visits;
        if row.credited_half_days > 0 {
            site.physicians.insert(row.physician_id);
        }
    }
    out
}

/// The share of clinics covered, 0 to 1 (0 when there is no clinic).
pub fn share(covered: u32, clinics: u32) -> f64 {
    if clinics == 0 {
        0.0
    } else {
        f64::from(covered) / f64::from(clinics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: Uuid = Uuid::from_u128(1);
    const OTHER_SITE: Uuid = Uuid::from_u128(2);

    fn served(site_id: Uuid, physician: u128, half_days: u32, visits: u32) -> Served {
        Served {
            site_id,
            physician_id: Uuid::from_u128(physician),
            credited_half_days: half_days,
            qualifying_visits: visits,
        }
    }

    #[test]
    fn a_site_adds_its_physicians_up_and_counts_only_those_credited() {
        let sites = by_site([
            served(SITE, 10, 3, 2),
            served(SITE, 11, 0, 0),
            served(SITE, 12, 1, 1),
            served(OTHER_SITE, 10, 0, 0),
        ]);
        let site = &sites[&SITE];
        assert_eq!(site.credited_days(), 2.0);
        assert_eq!(site.qualifying_visits, 3);
        assert_eq!(site.physicians(), 2);
        assert!(site.covered());
        assert!(!sites[&OTHER_SITE].covered());
        assert_eq!(sites[&OTHER_SITE].physicians(), 0);
    }

    #[test]
    fn only_clinics_receive() {
        assert!(receives(OrganizationKind::VillageClinic));
        assert!(receives(OrganizationKind::CommunityHealthCenter));
        assert!(!receives(OrganizationKind::Hospital));
        assert!(!receives(OrganizationKind::HealthBureau));
        assert_eq!(
            kind_zh(OrganizationKind::TownshipHealthCenter),
            "乡镇卫生院"
        );
    }

    #[test]
    fn the_share_of_clinics_covered_is_zero_without_clinics() {
        assert_eq!(share(0, 0), 0.0);
        assert_eq!(share(3, 4), 0.75);
        assert_eq!(share(4, 4), 1.0);
    }
}
