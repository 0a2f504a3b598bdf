//! Cursor paging: a validated `?limit=&cursor=` and the page cut from the rows fetched.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mobile_api::Page;
use mobile_api::page::PageQuery;

use crate::error::ApiError;

/// Validated `?limit=&cursor=`.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    /// The key of the last item of the previous page.
    pub after: Option<String>,
}

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 500;

impl TryFrom<PageQuery> for PageRequest {
    type Error = ApiError;

    fn try_from(query: PageQuery) -> Result<Self, ApiError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ApiError::invalid(format!(
                "limit: must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        // An empty cursor is the first page, as an empty filter is no filter.
        let after = query
            .cursor
            .filter(|c| !c.trim().is_empty())
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c.as_bytes())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| ApiError::invalid("cursor: not a cursor this server issued"))
            })
            .transpose()?;
        Ok(PageRequest { limit, after })
    }
}

impl PageRequest {
    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> u32 {
        self.limit + 1
    }

    /// Cuts the fetched rows to a page and makes the cursor from the last key.
    pub fn page<T>(&self, mut items: Vec<T>, key: impl Fn(&T) -> String) -> Page<T> {
        let more = items.len() > self.limit as usize;
        items.truncate(self.limit as usize);
        let next_cursor = if more {
            items.last().map(|last| URL_SAFE_NO_PAD.encode(key(last)))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_bounded() {
        let too_big = PageQuery {
            limit: Some(501),
            cursor: None,
        };
        assert!(PageRequest::try_from(too_big).is_err());
        let zero = PageQuery {
            limit: Some(0),
            cursor: None,
        };
        assert!(PageRequest::try_from(zero).is_err());
        let default = PageRequest::try_from(PageQuery::default()).expect("valid");
        assert_eq!(default.limit, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn a_full_page_carries_a_cursor_to_the_next() {
        let request = PageRequest {
            limit: 2,
            after: None,
        };
        let page = request.page(vec!["a", "b", "c"], |s| s.to_string());
        assert_eq!(page.items, vec!["a", "b"]);
        let cursor = page.next_cursor.expect("more follow");
        let next = PageRequest::try_from(PageQuery {
            limit: Some(2),
            cursor: Some(cursor),
        })
        .expect("our own cursor");
        assert_eq!(next.after.as_deref(), Some("b"));
        let last = request.page(vec!["c"], |s| s.to_string());
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn a_forged_cursor_is_a_bad_request() {
        let forged = PageQuery {
            limit: None,
            cursor: Some("%%%".into()),
        };
        assert!(PageRequest::try_from(forged).is_err());
    }
}
