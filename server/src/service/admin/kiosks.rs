//! Kiosk enrolment and revocation: a long-lived token for one site's wall screen.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use mobile_api::{EnrollKiosk, KioskEnrolment, KioskList, KioskStatus, UpdateKiosk};
use uuid::Uuid;

use super::organizations::reachable_organization;
use crate::auth::AuthError;
use crate::auth::jwt::{Audience, Claims, ISSUER};
use crate::domain::access::{Actor, Role};
use crate::domain::anomaly::{AnomalyKind, Finding};
use crate::domain::network;
use crate::error::{ApiError, ApiResult};
use crate::service::audit::{self, Change};
use crate::state::AppState;
use crate::store::kiosks::SiteAnomaly;

/// Kiosk tokens last five years; revocation, not expiry, is how they end.
const KIOSK_TOKEN_DAYS: i64 = 5 * 365;

const KIOSK_ROLES: [Role; 3] = [Role::Admin, Role::Supervisor, Role::ClinicAdmin];

/// Whether `actor` may enrol and revoke kiosks at all. Checked before the request's
/// body is read, so that a caller without the role hears 403 whatever they sent.
pub fn may_manage(actor: &Actor) -> ApiResult<()> {
    Ok(actor.require(&KIOSK_ROLES)?)
}

/// Enrols a wall screen for the site `site_id`, with an optional label.
pub async fn enroll(
    state: &AppState,
    actor: &Actor,
    site_id: Uuid,
    request: EnrollKiosk,
) -> ApiResult<KioskEnrolment> {
    may_manage(actor)?;
    let label = request
        .label
        .map(|l| crate::domain::organization::parse_name(&l))
        .transpose()
        .map_err(|_| ApiError::invalid("label: must be 1 to 200 characters"))?;
    let site = reachable_organization(state, actor, site_id).await?;
    let now = state.now();
    let kiosk_id = Uuid::new_v4();
    record_enrolled(state, actor, kiosk_id, site.id, label.as_deref(), now).await?;
    let token = sign_token(state, kiosk_id, site.id, now).map_err(ApiError::internal)?;
    Ok(KioskEnrolment {
        kiosk_id,
        token,
        site_id: site.id,
    })
}

/// Writes the kiosk `kiosk_id` of the site `site_id`, enrolled by `actor` at `now`, with
/// its `kiosk.enroll` entry.
pub async fn record_enrolled(
    state: &AppState,
    actor: &Actor,
    kiosk_id: Uuid,
    site_id: Uuid,
    label: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let enrolled = serde_json::json!({ "kiosk_id": kiosk_id, "site_id": site_id, "label": label });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "kiosk.enroll",
            object_type: "kiosk",
            object_id: kiosk_id.to_string(),
            before: None,
            after: Some(&enrolled),
        },
    )?;
    state
        .store
        .insert_kiosk(kiosk_id, site_id, label, actor.user_id, now, audit)
        .await?;
    Ok(())
}

/// A token for the kiosk `kiosk_id` of the site `site_id`, issued at `now` and valid
/// for five years (revocation, checked on every request, ends it sooner).
pub fn sign_token(
    state: &AppState,
    kiosk_id: Uuid,
    site_id: Uuid,
    now: DateTime<Utc>,
) -> Result<String, AuthError> {
    let claims = Claims {
        sub: kiosk_id,
        role: Role::Kiosk,
        iss: ISSUER.to_owned(),
        aud: Audience::Kiosk.as_str().to_owned(),
        iat: now.timestamp(),
        exp: (now + chrono::Duration::days(KIOSK_TOKEN_DAYS)).timestamp(),
        jti: Uuid::new_v4(),
        ver: 0,
        org: None,
        jur: None,
        site: Some(site_id),
    };
    state.keys.jwt.sign(&claims)
}

/// Revokes a kiosk: its token stops working at once.
pub async fn revoke(state: &AppState, actor: &Actor, kiosk_id: Uuid) -> ApiResult<()> {
    may_manage(actor)?;
    let kiosk = state
        .store
        .kiosk(kiosk_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    reachable_organization(state, actor, kiosk.site_id).await?;
    let revoked = serde_json::json!({ "kiosk_id": kiosk.id, "site_id": kiosk.site_id, "revoked": kiosk.revoked });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "kiosk.revoke",
            object_type: "kiosk",
            object_id: kiosk_id.to_string(),
            before: Some(&revoked),
            after: None,
        },
    )?;
    state
        .store
        .revoke_kiosk(kiosk_id, state.now(), audit)
        .await?;
    Ok(())
}

/// A kiosk fetching its code: who, from where, and what it is pinned to.
#[derive(Debug, Clone, Copy)]
pub struct Contact<'a> {
    pub kiosk_id: Uuid,
    pub site_id: Uuid,
    pub ip: Option<IpAddr>,
    pub pinned_network: Option<&'a str>,
    pub label: Option<&'a str>,
}

/// Notes that a kiosk fetched its code now, and from which network: one write a
/// minute at most per kiosk and network, the cache's marker deciding. A pinned kiosk
/// fetching from another network is refused (403 `kiosk_network_not_allowed`); a kiosk
/// fetching from two networks at once raises `kiosk_second_network` for its site, once
/// a day. A fetch from an address the IP database places in another province than the
/// site raises `kiosk_network_far_away` at once (once per kiosk and day), refused or
/// not, unless the kiosk is pinned to that network (an administrator vouched for a
/// broadband the database misplaces); such a network is stored as far and never
/// counts as the kiosk's own. A failure to record is logged, never the kiosk's problem.
pub async fn record_contact(state: &AppState, contact: &Contact<'_>) -> ApiResult<()> {
    let network = contact.ip.map(network::network_of);
    let refusal = match (contact.pinned_network, &network) {
        (Some(pinned), Some(network)) if pinned != network => {
            Some(ApiError::KioskNetworkNotAllowed {
                pinned: pinned.to_owned(),
                network: network.clone(),
            })
        }
        _ => None,
    };
    let kiosk_id = contact.kiosk_id;
    let key = format!(
        "{}:{}",
        crate::cache::keys::kiosk_seen(kiosk_id),
        network.as_deref().unwrap_or("-")
    );
    let every = u64::try_from(state.config.detection.kiosk_contact_seconds).unwrap_or(0);
    if every > 0
        && !state
            .cache
            .set_once(&key, "1", std::time::Duration::from_secs(every))
            .await
    {
        return refusal.map_or(Ok(()), Err);
    }
    let now = state.now();
    let refused = refusal.is_some();
    let recorded = async {
        if !refused {
            state.store.touch_kiosk(kiosk_id, now).await?;
        }
        if let (Some(ip), Some(network)) = (contact.ip, &network) {
            let pinned_here = contact.pinned_network == Some(network.as_str());
            let far = if pinned_here {
                None
            } else {
                judge_far_fetch(state, contact, ip).await?
            };
            if let Some((site, finding)) = &far {
                raise_far_fetch(state, contact, site, finding, now).await?;
            }
            if !refused {
                let ip = network::canonical(ip).to_string();
                let (first_seen, others) = state
                    .store
                    .touch_kiosk_network(kiosk_id, network, &ip, far.is_some(), now)
                    .await?;
                let overlap = Duration::minutes(state.config.detection.kiosk_overlap_minutes);
                // A far network has its own anomaly already; one leak, one anomaly.
                if far.is_none()
                    && let Some(other) =
                        network::concurrent_network(first_seen, &others, now, overlap)
                {
                    raise_second_network(state, contact, network, other, now).await?;
                }
            }
        }
        Ok::<(), ApiError>(())
    };
    if let Err(error) = recorded.await {
        tracing::warn!(%error, %kiosk_id, "could not record the kiosk's contact");
        state.cache.clear(&key).await;
    }
    refusal.map_or(Ok(()), Err)
}

/// The kiosk's site and `kiosk_network_far_away` when the IP database places the
/// fetch's address far from the site; nothing without a database.
async fn judge_far_fetch(
    state: &AppState,
    contact: &Contact<'_>,
    ip: IpAddr,
) -> ApiResult<Option<(crate::domain::organization::Organization, Finding)>> {
    let Some(place) = state.ip_locator.as_ref().and_then(|l| l.locate(ip)) else {
        return Ok(None);
    };
    let Some(site) = state.store.organization(contact.site_id).await? else {
        return Ok(None);
    };
    let finding = network::kiosk_fetch_far(&network::KioskFetch {
        kiosk_id: contact.kiosk_id,
        label: contact.label,
        ip,
        place: Some(&place),
        site_code: site.jurisdiction_code.as_str(),
    });
    Ok(finding.map(|f| (site, f)))
}

/// `kiosk_network_far_away` for the kiosk's site, at most once per kiosk and UTC day.
async fn raise_far_fetch(
    state: &AppState,
    contact: &Contact<'_>,
    site: &crate::domain::organization::Organization,
    finding: &Finding,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let anomaly = SiteAnomaly {
        id: Uuid::new_v4(),
        kind: finding.kind,
        site_id: site.id,
        jurisdiction_code: site.jurisdiction_code.as_str().to_owned(),
        detected_at: now,
        detail: finding.detail.clone(),
    };
    let run_key = format!("{}:{}", contact.kiosk_id, now.date_naive());
    let raised = state
        .store
        .raise_site_anomaly_once(finding.kind.as_str(), &run_key, &anomaly)
        .await?;
    if raised {
        tracing::warn!(kiosk_id = %contact.kiosk_id, detail = %finding.detail, "kiosk link used from another province");
    }
    Ok(())
}

/// `kiosk_second_network` for the kiosk's site, at most once per kiosk and UTC day.
async fn raise_second_network(
    state: &AppState,
    contact: &Contact<'_>,
    network: &str,
    other: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Some(site) = state.store.organization(contact.site_id).await? else {
        return Ok(());
    };
    let anomaly = SiteAnomaly {
        id: Uuid::new_v4(),
        kind: AnomalyKind::KioskSecondNetwork,
        site_id: site.id,
        jurisdiction_code: site.jurisdiction_code.as_str().to_owned(),
        detected_at: now,
        detail: serde_json::json!({
            "kiosk_id": contact.kiosk_id,
            "kiosk_label": contact.label,
            "network": network,
            "other_network": other,
        }),
    };
    let run_key = format!("{}:{}", contact.kiosk_id, now.date_naive());
    let raised = state
        .store
        .raise_site_anomaly_once("kiosk_second_network", &run_key, &anomaly)
        .await?;
    if raised {
        tracing::warn!(kiosk_id = %contact.kiosk_id, network, other, "kiosk link used from two networks");
    }
    Ok(())
}

/// A site's kiosks with their last contact, for those who may manage them there.
pub async fn list(state: &AppState, actor: &Actor, site_id: Uuid) -> ApiResult<KioskList> {
    may_manage(actor)?;
    let site = reachable_organization(state, actor, site_id).await?;
    let items = state
        .store
        .site_kiosks(site.id)
        .await?
        .into_iter()
        .map(|k| KioskStatus {
            kiosk_id: k.id,
            label: k.label,
            created_at: k.created_at,
            created_by: k.created_by,
            revoked: k.revoked_at.is_some(),
            revoked_at: k.revoked_at,
            last_seen_at: k.last_seen_at,
            last_network: k.last_network,
            pinned_network: k.pinned_network,
        })
        .collect();
    Ok(KioskList {
        site_id: site.id,
        items,
    })
}

/// Pins a kiosk to a network (or unpins it): a pinned kiosk fetching its code from
/// elsewhere is refused. Audited as `kiosk.pin`.
pub async fn pin(
    state: &AppState,
    actor: &Actor,
    kiosk_id: Uuid,
    request: UpdateKiosk,
) -> ApiResult<KioskStatus> {
    may_manage(actor)?;
    let kiosk = state
        .store
        .kiosk(kiosk_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let site = reachable_organization(state, actor, kiosk.site_id).await?;
    let entries = list(state, actor, site.id).await?.items;
    let entry = entries
        .into_iter()
        .find(|k| k.kiosk_id == kiosk_id)
        .ok_or(ApiError::NotFound)?;
    let pinned = match request.pinned_network.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("current") => Some(entry.last_network.clone().ok_or_else(|| {
            ApiError::invalid("pinned_network: the kiosk has not fetched a code yet")
        })?),
        Some(text) => Some(network::parse_network(text).ok_or_else(|| {
            ApiError::invalid(
                "pinned_network: must be an address, an IPv4 /24 or IPv6 /64 network, \"current\" or null",
            )
        })?),
    };
    let before =
        serde_json::json!({ "kiosk_id": kiosk_id, "pinned_network": entry.pinned_network });
    let after = serde_json::json!({ "kiosk_id": kiosk_id, "pinned_network": pinned });
    let audit = audit::audited(
        state,
        actor,
        Change {
            action: "kiosk.pin",
            object_type: "kiosk",
            object_id: kiosk_id.to_string(),
            before: Some(&before),
            after: Some(&after),
        },
    )?;
    state
        .store
        .pin_kiosk(kiosk_id, pinned.as_deref(), audit)
        .await?;
    Ok(KioskStatus {
        pinned_network: pinned,
        ..entry
    })
}

/// The longest kiosk link drawn as a QR code.
const MAX_LINK_CHARS: usize = 2000;

/// The kiosk page's link as a QR code (SVG), to open on the wall screen with a phone
/// or tablet. Only links to a `/kiosk` page with a token are drawn.
pub fn link_qr(actor: &Actor, link: &str) -> ApiResult<String> {
    may_manage(actor)?;
    let link = link.trim();
    let looks_right = (link.starts_with("https://") || link.starts_with("http://"))
        && link.contains("/kiosk#token=")
        && link.chars().count() <= MAX_LINK_CHARS
        && link.chars().all(|c| c.is_ascii_graphic());
    if !looks_right {
        return Err(ApiError::invalid(
            "link: must be an http(s) link to /kiosk#token=…, at most 2000 characters",
        ));
    }
    crate::qr::svg(link).map_err(|e| ApiError::invalid(format!("link: {e}")))
}
