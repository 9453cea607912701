//! Personas per project: members read them, editors and owners change them (audited).

use crate::ports::InProject;
use crate::{
    audit::{self, Change},
    authz,
    clock::now_ms,
    context::RequestContext,
    ports::PrimaryStore,
    ServiceError, ServiceResult,
};
pub use domain::personas::Persona;
use domain::ProjectRole;
use serde_json::json;

pub const MAX_NAME_LEN: usize = 80;
pub const MAX_DESCRIPTION_LEN: usize = 2000;
pub const MAX_GOALS_LEN: usize = 2000;
pub const MAX_TONE_LEN: usize = 200;
pub const MAX_LANGUAGE_LEN: usize = 50;
pub const MAX_TRAITS: usize = 20;
pub const MAX_TRAIT_LEN: usize = 50;

/// A persona as typed in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonaInput {
    pub name: String,
    pub description: String,
    pub goals: String,
    pub tone: String,
    pub language: String,
    pub traits: Vec<String>,
}

impl PersonaInput {
    /// Traits as typed in one field, separated by commas.
    pub fn split_traits(raw: &str) -> Vec<String> {
        raw.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
    }
}

/// One line of text (name, tone, language, trait).
fn line(raw: &str, what: &str, min: usize, max: usize) -> ServiceResult<String> {
    let s = raw.trim();
    let n = s.chars().count();
    if n < min || n > max || s.chars().any(char::is_control) {
        let range = if min == 0 { format!("at most {max}") } else { format!("{min} to {max}") };
        return Err(ServiceError::Invalid(format!("a persona's {what} has {range} characters on one line")));
    }
    Ok(s.to_owned())
}

/// Free text: new lines and tabs allowed, other control characters not.
fn text(raw: &str, what: &str, max: usize) -> ServiceResult<String> {
    let s = raw.trim();
    if s.chars().count() > max {
        return Err(ServiceError::Invalid(format!("a persona's {what} has at most {max} characters")));
    }
    if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ServiceError::Invalid(format!("a persona's {what} contains control characters")));
    }
    Ok(s.replace("\r\n", "\n"))
}

fn clean(input: &PersonaInput, into: &mut Persona) -> ServiceResult<()> {
    into.name = line(&input.name, "name", 1, MAX_NAME_LEN)?;
    into.description = text(&input.description, "description", MAX_DESCRIPTION_LEN)?;
    into.goals = text(&input.goals, "goals", MAX_GOALS_LEN)?;
    into.tone = line(&input.tone, "tone", 0, MAX_TONE_LEN)?;
    into.language = line(&input.language, "language", 0, MAX_LANGUAGE_LEN)?;
    let mut traits: Vec<String> = Vec::new();
    for t in input.traits.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let t = line(t, "trait", 1, MAX_TRAIT_LEN)?;
        if !traits.iter().any(|seen| seen.eq_ignore_ascii_case(&t)) {
            traits.push(t);
        }
    }
    if traits.len() > MAX_TRAITS {
        return Err(ServiceError::Invalid(format!("a persona has at most {MAX_TRAITS} traits")));
    }
    into.traits = traits;
    Ok(())
}

fn audit_json(p: &Persona) -> serde_json::Value {
    json!({
        "name": p.name,
        "description": p.description,
        "goals": p.goals,
        "tone": p.tone,
        "language": p.language,
        "traits": p.traits,
    })
}

fn name_taken(e: crate::StoreError) -> ServiceError {
    match e {
        crate::StoreError::Conflict(_) => ServiceError::Conflict("a persona with this name already exists".into()),
        other => other.into(),
    }
}

/// Any member.
pub async fn list(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str) -> ServiceResult<Vec<Persona>> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    Ok(store.list_personas(&access.id).await?)
}

/// Any member, with the caller's access (pages show the forms to editors and owners).
pub async fn list_with_access(
    store: &dyn PrimaryStore,
    ctx: &RequestContext,
    slug: &str,
) -> ServiceResult<(authz::ProjectAccess, Vec<Persona>)> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    let personas = store.list_personas(&access.id).await?;
    Ok((access, personas))
}

/// Any member.
pub async fn get(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<Persona> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Analyst).await?;
    store.persona(&access.id, id).await?.ok_or(ServiceError::NotFound("persona"))
}

/// Editors and owners; audited.
pub async fn create(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, input: &PersonaInput) -> ServiceResult<Persona> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Editor).await?;
    let now = now_ms();
    let mut persona = Persona {
        id: uuid::Uuid::now_v7().to_string(),
        project_id: access.project.id.clone(),
        name: String::new(),
        description: String::new(),
        goals: String::new(),
        tone: String::new(),
        language: String::new(),
        traits: Vec::new(),
        created_at_ms: now,
        updated_at_ms: now,
    };
    clean(input, &mut persona)?;
    store.insert_persona(&persona).await.map_err(name_taken)?;
    let change = Change {
        action: "persona.create",
        entity_type: "persona",
        entity_id: &persona.id,
        project_id: Some(&persona.project_id),
        old: None,
        new: Some(audit_json(&persona)),
    };
    audit::record(store, ctx, change).await?;
    Ok(persona)
}

/// Editors and owners; audited.
pub async fn update(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str, input: &PersonaInput) -> ServiceResult<Persona> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Editor).await?;
    let old = store.persona(&access.id, id).await?.ok_or(ServiceError::NotFound("persona"))?;
    let mut persona = old.clone();
    clean(input, &mut persona)?;
    persona.updated_at_ms = now_ms();
    store.update_persona(&persona).await.map_err(name_taken)?;
    let change = Change {
        action: "persona.update",
        entity_type: "persona",
        entity_id: &persona.id,
        project_id: Some(&persona.project_id),
        old: Some(audit_json(&old)),
        new: Some(audit_json(&persona)),
    };
    audit::record(store, ctx, change).await?;
    Ok(persona)
}

/// Editors and owners; audited.
pub async fn delete(store: &dyn PrimaryStore, ctx: &RequestContext, slug: &str, id: &str) -> ServiceResult<()> {
    let access = authz::project_by_slug(store, ctx, slug, ProjectRole::Editor).await?;
    let old = store.persona(&access.id, id).await?.ok_or(ServiceError::NotFound("persona"))?;
    store.delete_persona(&old.project(), &old.id).await?;
    let change = Change {
        action: "persona.delete",
        entity_type: "persona",
        entity_id: &old.id,
        project_id: Some(&old.project_id),
        old: Some(audit_json(&old)),
        new: None,
    };
    audit::record(store, ctx, change).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> Persona {
        Persona {
            id: "p".into(),
            project_id: "proj".into(),
            name: String::new(),
            description: String::new(),
            goals: String::new(),
            tone: String::new(),
            language: String::new(),
            traits: vec![],
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn input_is_trimmed_and_traits_deduplicated() {
        let input = PersonaInput {
            name: "  Ada ".into(),
            description: "Line one\r\nLine two".into(),
            goals: "Find a bug".into(),
            tone: "dry".into(),
            language: "English".into(),
            traits: PersonaInput::split_traits(" curious, , Curious,patient "),
        };
        let mut p = blank();
        clean(&input, &mut p).unwrap();
        assert_eq!(p.name, "Ada");
        assert_eq!(p.description, "Line one\nLine two");
        assert_eq!(p.traits, vec!["curious".to_owned(), "patient".to_owned()]);
    }

    #[test]
    fn hostile_input_gets_clear_messages() {
        let ok = PersonaInput { name: "Ada".into(), ..Default::default() };
        let cases = [
            (PersonaInput { name: " ".into(), ..ok.clone() }, "name has 1 to"),
            (PersonaInput { name: "x".repeat(MAX_NAME_LEN + 1), ..ok.clone() }, "name has 1 to"),
            (PersonaInput { name: "a\u{0}b".into(), ..ok.clone() }, "name has"),
            (PersonaInput { description: "d".repeat(MAX_DESCRIPTION_LEN + 1), ..ok.clone() }, "description has at most"),
            (PersonaInput { goals: "bell\u{7}".into(), ..ok.clone() }, "goals contains control"),
            (PersonaInput { traits: (0..=MAX_TRAITS).map(|i| format!("t{i}")).collect(), ..ok.clone() }, "at most 20 traits"),
            (PersonaInput { traits: vec!["t".repeat(MAX_TRAIT_LEN + 1)], ..ok.clone() }, "trait has 1 to"),
            (PersonaInput { language: "l".repeat(MAX_LANGUAGE_LEN + 1), ..ok.clone() }, "language has at most"),
        ];
        for (input, expected) in cases {
            match clean(&input, &mut blank()) {
                Err(ServiceError::Invalid(m)) => assert!(m.contains(expected), "{m:?} lacks {expected:?}"),
                other => panic!("{input:?} gave {other:?}"),
            }
        }
        assert!(clean(&ok, &mut blank()).is_ok());
    }
}
