//! The physicians a caller may pick, for the service record's picker: found by part
//! of the name, the whole phone number or its last four digits, answered with the
//! phone masked.

use mobile_api::{Page, PhysicianListItem};
use uuid::Uuid;

use crate::domain::access::{Actor, Role, Scope};
use crate::domain::user::Phone;
use crate::error::{ApiError, ApiResult};
use crate::service::page::PageRequest;
use crate::state::AppState;
use crate::store::users::{PhysicianEntry, PhysicianSearch, PhysicianText};

/// The physicians whose service record (考核登记表) `actor` may open, by name (then
/// id): an admin's every physician; a supervisor's those employed in their
/// jurisdiction or posted to a site in it; a hospital administrator's their own
/// hospital's. `q` narrows the list (see [`physician_text`]).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: Option<&str>,
    page: PageRequest,
) -> ApiResult<Page<PhysicianListItem>> {
    actor.require(&[Role::Admin, Role::Supervisor, Role::HospitalAdmin])?;
    let (within, organization_id) = match &actor.scope {
        Scope::Everything => (None, None),
        Scope::Jurisdiction(path) => (Some(path), None),
        Scope::Organization(id) => (None, Some(*id)),
        Scope::Own => return Err(ApiError::Forbidden),
    };
    let wanted = physician_text(q)?;
    let after = page
        .after
        .as_deref()
        .map(|key| {
            key.split_once('|')
                .and_then(|(id, name)| Some((name.to_owned(), Uuid::parse_str(id).ok()?)))
                .ok_or_else(|| ApiError::invalid("cursor: not a cursor this server issued"))
        })
        .transpose()?;
    let text = match wanted {
        Wanted::Everyone => None,
        Wanted::Matching(text) => Some(text),
        Wanted::Nobody => {
            return Ok(page.page(Vec::new(), |_: &PhysicianListItem| String::new()));
        }
    };
    let search = PhysicianSearch {
        within,
        organization_id,
        text,
        after,
    };
    let rows = state.store.list_physicians(&search, page.fetch()).await?;
    let items = rows.into_iter().map(physician_item).collect();
    Ok(page.page(items, |p: &PhysicianListItem| {
        format!("{}|{}", p.id, p.name)
    }))
}

/// Whom `q` asks for.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Everyone,
    Matching(PhysicianText),
    /// A digit string that is neither a phone's last four digits nor a whole number:
    /// it finds nobody, so the middle of a number (masked in the answers) cannot be
    /// found out by probing.
    Nobody,
}

/// Four digits are a phone's tail, a phone number is matched whole, anything else is
/// part of a name.
fn physician_text(q: Option<&str>) -> ApiResult<Wanted> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(Wanted::Everyone);
    };
    if q.chars().count() > 50 || q.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "q: at most 50 characters, without control characters",
        ));
    }
    if q.len() == 4 && q.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Wanted::Matching(PhysicianText::PhoneTail(q.to_owned())));
    }
    if let Ok(phone) = Phone::parse(q) {
        return Ok(Wanted::Matching(PhysicianText::Phone(
            phone.as_str().to_owned(),
        )));
    }
    if q.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'+'))
    {
        return Ok(Wanted::Nobody);
    }
    Ok(Wanted::Matching(PhysicianText::Name(q.to_owned())))
}

/// `13700000002` as `137****0002`.
fn masked(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 8 {
        return "*".repeat(digits.len());
    }
    let (head, rest) = digits.split_at(3);
    let (middle, tail) = rest.split_at(rest.len() - 4);
    format!(
        "{}{}{}",
        head.iter().collect::<String>(),
        "*".repeat(middle.len()),
        tail.iter().collect::<String>()
    )
}

fn physician_item(p: PhysicianEntry) -> PhysicianListItem {
    PhysicianListItem {
        id: p.id,
        phone_masked: masked(&p.phone),
        name: p.name,
        title: p.title,
        hospital_id: p.organization_id,
        hospital_name: p.organization_name,
        active: p.active,
    }
}

#[cfg(test)]
mod physician_tests {
    use super::*;

    #[test]
    fn a_query_is_a_name_part_a_whole_phone_or_its_last_four_digits() {
        let text = |q: &str| physician_text(Some(q)).expect("valid");
        let name = |s: &str| Wanted::Matching(PhysicianText::Name(s.into()));
        assert_eq!(text("  "), Wanted::Everyone);
        assert_eq!(physician_text(None).expect("valid"), Wanted::Everyone);
        assert_eq!(text(" 志远 "), name("志远"));
        assert_eq!(
            text("0002"),
            Wanted::Matching(PhysicianText::PhoneTail("0002".into()))
        );
        assert_eq!(
            text("+86 137-0000-0002"),
            Wanted::Matching(PhysicianText::Phone("13700000002".into()))
        );
        // The middle of a number finds nobody.
        assert_eq!(text("137000"), Wanted::Nobody);
        assert!(physician_text(Some("a\u{0}b")).is_err());
        assert!(physician_text(Some(&"林".repeat(51))).is_err());
    }

    #[test]
    fn a_phone_shows_its_first_three_and_last_four_digits() {
        assert_eq!(masked("13700000002"), "137****0002");
        assert_eq!(masked("123"), "***");
    }
}
