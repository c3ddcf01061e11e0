//! Which world, and which version of it, a component targets, read from the
//! component itself.
//!
//! Every world is its own WIT package with its own version (`wit/<kind>/<version>/`),
//! so a new dashboard world never bumps the connector contract. A component
//! built against one of them exports `hearth:<kind>/plugin@<version>`; the
//! first connector world, released as `hearth:plugin@0.1.0`, exported bare
//! `info`/`sync` functions and is recognised by its imports. The manifest may
//! repeat the package in `wit`, but the component is what is believed: a
//! manifest can be edited, the component's imports and exports cannot lie
//! about what it calls.

use super::manifest::Kind;
use wasmtime::component::Component;

/// A semantic version of a world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl Version {
    /// `MAJOR.MINOR.PATCH`.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parse `MAJOR.MINOR.PATCH`.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        let v = Version::new(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(v)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The released versions of each world this host runs, oldest (MIN) to
/// newest (MAX). A new release adds an adapter module and its version at the
/// end; the first goes only when support for old plugins is dropped on purpose.
pub const SUPPORTED: &[(Kind, &[Version])] = &[
    (
        Kind::Connector,
        &[Version::new(0, 1, 0), Version::new(0, 2, 0)],
    ),
    (Kind::Importer, &[Version::new(0, 1, 0)]),
    (
        Kind::Dashboard,
        &[Version::new(0, 1, 0), Version::new(0, 2, 0)],
    ),
    (Kind::Rules, &[Version::new(0, 1, 0), Version::new(0, 2, 0)]),
    (Kind::Llm, &[Version::new(0, 1, 0), Version::new(0, 2, 0)]),
];

/// The released versions of `kind`'s world this host runs, oldest first.
pub fn released(kind: Kind) -> &'static [Version] {
    SUPPORTED
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, versions)| *versions)
}

/// The package the first connector world was released under.
const LEGACY_CONNECTOR: &str = "hearth:plugin";

/// A world and version a component targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct World {
    /// The plugin kind the world is for.
    pub kind: Kind,
    /// The world's version.
    pub version: Version,
}

impl World {
    /// The WIT package, as a manifest's `wit` names it (`hearth:connector@0.2.0`).
    pub fn package(&self) -> String {
        if self.kind == Kind::Connector && self.version == Version::new(0, 1, 0) {
            format!("{LEGACY_CONNECTOR}@{}", self.version)
        } else {
            format!("hearth:{}@{}", self.kind, self.version)
        }
    }

    /// Whether this host runs it.
    pub fn is_supported(&self) -> bool {
        released(self.kind).contains(&self.version)
    }

    /// The packages this host runs for `kind`, oldest first (for messages).
    pub fn packages_of(kind: Kind) -> Vec<String> {
        released(kind)
            .iter()
            .map(|&version| World { kind, version }.package())
            .collect()
    }

    /// Read the world a component targets from its exports and imports.
    pub fn of(engine: &wasmtime::Engine, component: &Component) -> Result<World, String> {
        let ty = component.component_type();
        for (name, _) in ty.exports(engine) {
            if let Some(world) = parse_export(name) {
                return match world {
                    Ok(world) if world.is_supported() => Ok(world),
                    Ok(world) => Err(format!(
                        "it targets {}, which this host does not run (it runs {}); update Hearth or the plugin",
                        world.package(),
                        World::packages_of(world.kind).join(", ")
                    )),
                    Err(name) => Err(format!(
                        "it exports {name}, which is no Hearth plugin world"
                    )),
                };
            }
        }
        let legacy = ty.imports(engine).any(|(name, _)| {
            name.strip_prefix(LEGACY_CONNECTOR)
                .is_some_and(|rest| rest.starts_with('/') && rest.ends_with("@0.1.0"))
        });
        let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
        if legacy || (exports.contains(&"info") && exports.contains(&"sync")) {
            return Ok(World {
                kind: Kind::Connector,
                version: Version::new(0, 1, 0),
            });
        }
        Err(
            "it exports no Hearth plugin world (a connector exports hearth:connector/plugin@0.2.0)"
                .into(),
        )
    }
}

/// `hearth:<kind>/plugin@<version>` as a world; `Err(name)` for a Hearth
/// export that names no known kind; `None` for anything else.
fn parse_export(name: &str) -> Option<Result<World, String>> {
    let rest = name.strip_prefix("hearth:")?;
    let (package, rest) = rest.split_once('/')?;
    let (interface, version) = rest.split_once('@')?;
    if interface != "plugin" {
        return None;
    }
    let kind = match package {
        "connector" => Kind::Connector,
        "importer" => Kind::Importer,
        "dashboard" => Kind::Dashboard,
        "rules" => Kind::Rules,
        "llm" => Kind::Llm,
        _ => return Some(Err(name.to_string())),
    };
    Some(match Version::parse(version) {
        Some(version) => Ok(World { kind, version }),
        None => Err(name.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_name_their_world() {
        assert_eq!(
            parse_export("hearth:dashboard/plugin@0.1.0"),
            Some(Ok(World {
                kind: Kind::Dashboard,
                version: Version::new(0, 1, 0)
            }))
        );
        assert_eq!(
            parse_export("hearth:toaster/plugin@0.1.0"),
            Some(Err("hearth:toaster/plugin@0.1.0".into()))
        );
        assert_eq!(parse_export("hearth:connector/sink@0.2.0"), None);
        assert_eq!(parse_export("wasi:cli/run@0.2.12"), None);
    }

    #[test]
    fn the_supported_range_is_checked() {
        let world = |kind, v| World { kind, version: v };
        assert!(world(Kind::Connector, Version::new(0, 1, 0)).is_supported());
        assert!(world(Kind::Connector, Version::new(0, 2, 0)).is_supported());
        assert!(!world(Kind::Connector, Version::new(0, 3, 0)).is_supported());
        assert!(world(Kind::Dashboard, Version::new(0, 2, 0)).is_supported());
        assert!(!world(Kind::Dashboard, Version::new(0, 3, 0)).is_supported());
        assert!(!world(Kind::Connector, Version::new(0, 1, 5)).is_supported());
        assert_eq!(
            World::packages_of(Kind::Connector),
            ["hearth:plugin@0.1.0", "hearth:connector@0.2.0"]
        );
    }
}
