//! NIS's rules for names: namespaces, their parts and mosaic names, and the mosaic id made
//! of them (nem.core `NamespaceId`, `MosaicId`).

/// Longest root namespace and sub-namespace part (nem.core `NamespaceId`).
pub const MAX_ROOT_LENGTH: usize = 16;
pub const MAX_SUBLEVEL_LENGTH: usize = 64;

fn part_chars_ok(p: &str) -> bool {
    let b = p.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

/// NIS's namespace rule: 1 to 3 dot-separated parts, each `[a-z0-9][a-z0-9_-]*`, the root at
/// most 16 characters and each further part at most 64.
pub fn validate_namespace(ns: &str) -> Result<(), String> {
    let parts: Vec<&str> = ns.split('.').collect();
    let ok = parts.len() <= 3
        && parts.iter().enumerate().all(|(i, p)| {
            part_chars_ok(p)
                && p.len()
                    <= if i == 0 {
                        MAX_ROOT_LENGTH
                    } else {
                        MAX_SUBLEVEL_LENGTH
                    }
        });
    if !ok {
        return Err(format!(
            "namespace '{ns}' is invalid: 1 to 3 parts separated by '.', each starting with a-z or 0-9 and made of a-z, 0-9, '_' and '-', the first at most {MAX_ROOT_LENGTH} characters and the others at most {MAX_SUBLEVEL_LENGTH}"
        ));
    }
    Ok(())
}

/// One part of a namespace being provisioned: a root (at most 16 characters) or a sub-namespace
/// part (at most 64).
pub fn validate_namespace_part(part: &str, root: bool) -> Result<(), String> {
    let max = if root {
        MAX_ROOT_LENGTH
    } else {
        MAX_SUBLEVEL_LENGTH
    };
    if !part_chars_ok(part) || part.len() > max {
        return Err(format!(
            "'{part}' is not a namespace part: at most {max} characters, starting with a-z or 0-9 and made of a-z, 0-9, '_' and '-'"
        ));
    }
    Ok(())
}

/// NIS's mosaic name rule: `[a-z0-9][a-z0-9'_-]*( [a-z0-9'_-]+)*`, at most 32 characters.
pub fn validate_mosaic_name(name: &str) -> Result<(), String> {
    let b = name.as_bytes();
    let word_char =
        |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'\'' | b'_' | b'-');
    let ok = !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && name
            .split(' ')
            .all(|w| !w.is_empty() && w.as_bytes().iter().all(word_char));
    if !ok {
        return Err(format!(
            "mosaic name '{name}' is invalid: at most 32 characters, starting with a-z or 0-9, made of a-z, 0-9, ', _, - and single spaces"
        ));
    }
    Ok(())
}

pub fn validate_mosaic_id(id: &MosaicId) -> Result<(), String> {
    validate_namespace(&id.namespace)?;
    validate_mosaic_name(&id.name)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MosaicId {
    pub namespace: String,
    pub name: String,
}

impl MosaicId {
    pub fn xem() -> MosaicId {
        MosaicId {
            namespace: "nem".into(),
            name: "xem".into(),
        }
    }

    pub fn is_xem(&self) -> bool {
        self.namespace == "nem" && self.name == "xem"
    }
}

impl std::fmt::Display for MosaicId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.namespace, self.name)
    }
}

impl std::str::FromStr for MosaicId {
    type Err = String;
    /// `namespace:name`, validated as NIS validates mosaic ids.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (namespace, name) = s
            .split_once(':')
            .ok_or_else(|| format!("'{s}' is not namespace:name"))?;
        let id = MosaicId {
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        validate_mosaic_id(&id)?;
        Ok(id)
    }
}

crate::hexfmt::serde_via_str!(MosaicId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_nis_patterns() {
        assert!(validate_mosaic_name("xem").is_ok());
        assert!(validate_mosaic_name("a b").is_ok());
        assert!(validate_mosaic_name("a  b").is_err());
        assert!(validate_mosaic_name("Xem").is_err());
        assert!(validate_mosaic_name("_x").is_err());
        assert!(validate_mosaic_name(&"a".repeat(33)).is_err());
        assert!(validate_namespace("a.b.c").is_ok());
        assert!(validate_namespace("a.b.c.d").is_err());
        assert!(validate_namespace("a..b").is_err());
        assert!(validate_namespace(&"a".repeat(16)).is_ok());
        assert!(validate_namespace(&"a".repeat(17)).is_err());
        assert!(validate_namespace(&format!("a.{}", "b".repeat(64))).is_ok());
        assert!(validate_namespace(&format!("a.{}", "b".repeat(65))).is_err());
    }
}
