//! Projects and members, API keys, plans.

use super::{is_conflict, user, NOW};
use domain::{PlanLimits, ProjectRole, ProjectSlug};
use services::{
    ports::{ApiKeyRecord, Member, NewApiKey, NewPlan, NewProject, Plan, PrimaryStore, Project, User},
    StoreError,
};
use std::sync::Arc;

fn new_project(slug: &str, name: &str) -> NewProject {
    NewProject { slug: ProjectSlug::parse(slug).expect("valid slug"), name: name.into(), description: format!("About {name}") }
}

async fn project(store: &dyn PrimaryStore, slug: &str, name: &str, owner: &User) -> Project {
    store.create_project(new_project(slug, name), &owner.id, NOW).await.expect("create project")
}

fn member(user: &User, role: ProjectRole, added_at_ms: i64) -> Member {
    Member { user_id: user.id.clone(), email: user.email.as_str().into(), name: user.name.clone(), role, added_at_ms }
}

fn new_key(project: &Project, public_id: &str, creator: &User) -> NewApiKey {
    NewApiKey {
        project_id: project.id.clone(),
        name: format!("key {public_id}"),
        public_id: public_id.into(),
        secret_hash: format!("sha256-of-{public_id}"),
        scopes: vec!["ingest".into(), "read".into()],
        created_by: creator.id.clone(),
    }
}

fn free_limits() -> PlanLimits {
    PlanLimits {
        projects: Some(3),
        members_per_project: Some(10),
        traces_per_month: Some(50_000),
        test_runs_per_month: Some(1_000),
        dataset_rows: Some(1_000_000),
        storage_bytes: Some(1 << 30),
    }
}

fn team_plan(name: &str) -> NewPlan {
    NewPlan {
        name: name.into(),
        limits: PlanLimits {
            projects: Some(20),
            members_per_project: None,
            storage_bytes: Some(u64::from(u32::MAX) * 4),
            ..Default::default()
        },
    }
}

async fn default_plan_ids(store: &dyn PrimaryStore) -> Vec<String> {
    store.list_plans().await.unwrap().into_iter().filter(|p| p.is_default).map(|p| p.id).collect()
}

pub async fn project_is_created_with_its_owner_atomically(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    let created = project(&*store, "billing-bot", "Billing bot", &ada).await;
    assert_eq!(
        (created.slug.as_str(), created.name.as_str(), created.description.as_str()),
        ("billing-bot", "Billing bot", "About Billing bot")
    );
    assert_eq!(created.created_at_ms, NOW);
    assert_eq!(uuid::Uuid::parse_str(&created.id).expect("project id is a UUID").get_version_num(), 7);

    assert_eq!(store.project_by_id(&created.id).await.unwrap(), Some(created.clone()));
    assert_eq!(store.project_by_slug(&created.slug).await.unwrap(), Some(created.clone()));
    assert_eq!(store.project_by_slug(&ProjectSlug::parse("nope").unwrap()).await.unwrap(), None);
    assert_eq!(store.project_by_id("nope").await.unwrap(), None);
    assert_eq!(store.members(&crate::pid(&created.id)).await.unwrap(), vec![member(&ada, ProjectRole::Owner, NOW)], "the creator owns it");
    assert_eq!(store.member_role(&crate::pid(&created.id), &ada.id).await.unwrap(), Some(ProjectRole::Owner));
    assert_eq!(store.count_owned_projects(&ada.id).await.unwrap(), 1);

    let again = store.create_project(new_project("billing-bot", "Other"), &ada.id, NOW + 1).await;
    assert!(is_conflict(again.clone()), "taken slug gave {again:?}");
    let orphan = store.create_project(new_project("orphan", "Orphan"), "no-such-user", NOW).await;
    assert_eq!(orphan, Err(StoreError::NotFound), "an unknown owner");
    assert_eq!(store.project_by_slug(&ProjectSlug::parse("orphan").unwrap()).await.unwrap(), None, "no project without its owner");
    assert_eq!(store.list_projects().await.unwrap(), vec![created]);
    assert_eq!(store.count_owned_projects(&ada.id).await.unwrap(), 1);
}

pub async fn projects_of_user_lists_member_projects_with_roles(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let cy = user(&*store, "cy@example.com").await;
    let zeta = project(&*store, "zeta", "Zeta", &ada).await;
    let alpha = project(&*store, "alpha", "Alpha", &ada).await;
    let beta = project(&*store, "beta", "Beta", &bob).await;
    store.set_member(&crate::pid(&beta.id), &ada.id, ProjectRole::Analyst, NOW).await.unwrap();

    assert_eq!(
        store.projects_of_user(&ada.id).await.unwrap(),
        vec![(alpha.clone(), ProjectRole::Owner), (beta.clone(), ProjectRole::Analyst), (zeta.clone(), ProjectRole::Owner)],
        "by name, with the role"
    );
    assert_eq!(store.projects_of_user(&bob.id).await.unwrap(), vec![(beta.clone(), ProjectRole::Owner)]);
    assert_eq!(store.projects_of_user(&cy.id).await.unwrap(), vec![], "not a member anywhere");
    assert_eq!(store.list_projects().await.unwrap(), vec![alpha, beta, zeta], "admins see every project, by name");
    assert_eq!(store.count_owned_projects(&ada.id).await.unwrap(), 2, "analyst roles are not owned projects");
    assert_eq!(store.count_owned_projects(&cy.id).await.unwrap(), 0);
}

pub async fn members_are_added_changed_and_removed(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let cy = user(&*store, "cy@example.com").await;
    let p = project(&*store, "shop", "Shop", &ada).await;

    store.set_member(&crate::pid(&p.id), &cy.id, ProjectRole::Editor, NOW + 1).await.expect("add cy");
    store.set_member(&crate::pid(&p.id), &bob.id, ProjectRole::Analyst, NOW + 2).await.expect("add bob");
    assert_eq!(
        store.members(&crate::pid(&p.id)).await.unwrap(),
        vec![member(&ada, ProjectRole::Owner, NOW), member(&bob, ProjectRole::Analyst, NOW + 2), member(&cy, ProjectRole::Editor, NOW + 1)],
        "by e-mail"
    );

    store.set_member(&crate::pid(&p.id), &bob.id, ProjectRole::Owner, NOW + 10).await.expect("role change");
    assert_eq!(store.member_role(&crate::pid(&p.id), &bob.id).await.unwrap(), Some(ProjectRole::Owner));
    assert_eq!(
        store.members(&crate::pid(&p.id)).await.unwrap()[1],
        member(&bob, ProjectRole::Owner, NOW + 2),
        "a role change keeps the join date"
    );
    assert_eq!(store.count_owned_projects(&bob.id).await.unwrap(), 1);

    store.remove_member(&crate::pid(&p.id), &cy.id).await.expect("remove");
    assert_eq!(store.member_role(&crate::pid(&p.id), &cy.id).await.unwrap(), None);
    assert_eq!(store.remove_member(&crate::pid(&p.id), &cy.id).await, Err(StoreError::NotFound), "not a member any more");
    assert_eq!(store.remove_member(&crate::pid("no-such-project"), &ada.id).await, Err(StoreError::NotFound));
    assert_eq!(store.members(&crate::pid(&p.id)).await.unwrap().len(), 2);

    assert_eq!(store.set_member(&crate::pid("no-such-project"), &cy.id, ProjectRole::Editor, NOW).await, Err(StoreError::NotFound));
    assert_eq!(store.set_member(&crate::pid(&p.id), "no-such-user", ProjectRole::Editor, NOW).await, Err(StoreError::NotFound));
    assert_eq!(store.members(&crate::pid("no-such-project")).await.unwrap(), vec![]);
}

pub async fn the_last_owner_cannot_be_removed_or_demoted(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let p = project(&*store, "solo", "Solo", &ada).await;
    assert!(is_conflict(store.remove_member(&crate::pid(&p.id), &ada.id).await), "the only owner stays");
    assert!(is_conflict(store.set_member(&crate::pid(&p.id), &ada.id, ProjectRole::Editor, NOW).await), "nor is demoted");
    assert_eq!(store.member_role(&crate::pid(&p.id), &ada.id).await.unwrap(), Some(ProjectRole::Owner));

    // Two owners stepping down at the same moment: exactly one may.
    store.set_member(&crate::pid(&p.id), &bob.id, ProjectRole::Owner, NOW).await.unwrap();
    for round in 0..5 {
        let (a, b) = (store.clone(), store.clone());
        let (pa, pb) = (p.id.clone(), p.id.clone());
        let (ida, idb) = (ada.id.clone(), bob.id.clone());
        let (ra, rb) = tokio::join!(
            tokio::spawn(async move { a.set_member(&crate::pid(&pa), &ida, ProjectRole::Editor, NOW).await }),
            tokio::spawn(async move { b.remove_member(&crate::pid(&pb), &idb).await }),
        );
        let outcomes = [ra.unwrap(), rb.unwrap()];
        assert_eq!(outcomes.iter().filter(|r| r.is_ok()).count(), 1, "round {round}: {outcomes:?}");
        let owners = store.members(&crate::pid(&p.id)).await.unwrap().into_iter().filter(|m| m.role == ProjectRole::Owner).count();
        assert_eq!(owners, 1, "round {round}: one owner left");
        // Back to two owners for the next round.
        store.set_member(&crate::pid(&p.id), &ada.id, ProjectRole::Owner, NOW).await.unwrap();
        store.set_member(&crate::pid(&p.id), &bob.id, ProjectRole::Owner, NOW).await.unwrap();
    }
}

pub async fn projects_are_updated_and_deleted_with_members_and_keys(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let doomed = project(&*store, "doomed", "Doomed", &ada).await;
    let kept = project(&*store, "kept", "Kept", &ada).await;
    store.set_member(&crate::pid(&doomed.id), &bob.id, ProjectRole::Editor, NOW).await.unwrap();
    store.create_api_key(new_key(&doomed, "pk-ed-doomed", &ada), NOW).await.unwrap();
    let kept_key = store.create_api_key(new_key(&kept, "pk-ed-kept", &ada), NOW).await.unwrap();

    store.update_project(&crate::pid(&doomed.id), "Renamed", "New text").await.expect("update");
    let updated = store.project_by_id(&doomed.id).await.unwrap().unwrap();
    assert_eq!(updated, Project { name: "Renamed".into(), description: "New text".into(), ..doomed.clone() }, "slug and id stay");
    assert_eq!(store.update_project(&crate::pid("no-such-project"), "x", "y").await, Err(StoreError::NotFound));

    store.delete_project(&crate::pid(&doomed.id)).await.expect("delete");
    assert_eq!(store.project_by_id(&doomed.id).await.unwrap(), None);
    assert_eq!(store.members(&crate::pid(&doomed.id)).await.unwrap(), vec![], "memberships go with the project");
    assert_eq!(store.member_role(&crate::pid(&doomed.id), &bob.id).await.unwrap(), None);
    assert_eq!(store.projects_of_user(&bob.id).await.unwrap(), vec![]);
    assert_eq!(store.api_key_by_public_id("pk-ed-doomed").await.unwrap(), None, "API keys go with the project");
    assert_eq!(store.project_api_keys(&crate::pid(&doomed.id)).await.unwrap(), vec![]);
    assert_eq!(store.count_owned_projects(&ada.id).await.unwrap(), 1);
    assert_eq!(store.delete_project(&crate::pid(&doomed.id)).await, Err(StoreError::NotFound));

    assert_eq!(store.project_by_id(&kept.id).await.unwrap(), Some(kept.clone()), "other projects stay");
    assert_eq!(store.project_api_keys(&crate::pid(&kept.id)).await.unwrap(), vec![kept_key]);
    let slug = doomed.slug.clone();
    store
        .create_project(NewProject { slug, name: "Reborn".into(), description: String::new() }, &bob.id, NOW + 1)
        .await
        .expect("the slug is free again");
}

pub async fn api_keys_are_created_listed_revoked_and_touched(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    let p = project(&*store, "shop", "Shop", &ada).await;
    let q = project(&*store, "other", "Other", &ada).await;
    let k1 = store.create_api_key(new_key(&p, "pk-ed-one", &ada), NOW).await.expect("create");
    assert_eq!(
        k1,
        ApiKeyRecord {
            id: k1.id.clone(),
            project_id: p.id.clone(),
            name: "key pk-ed-one".into(),
            public_id: "pk-ed-one".into(),
            secret_hash: "sha256-of-pk-ed-one".into(),
            scopes: vec!["ingest".into(), "read".into()],
            created_by: ada.id.clone(),
            created_at_ms: NOW,
            last_used_at_ms: None,
            revoked_at_ms: None,
        }
    );
    let k2 = store.create_api_key(NewApiKey { scopes: vec![], ..new_key(&p, "pk-ed-two", &ada) }, NOW + 1).await.unwrap();
    let k3 = store.create_api_key(new_key(&q, "pk-ed-three", &ada), NOW + 2).await.unwrap();
    assert_ne!(k1.id, k2.id);

    assert_eq!(store.api_key_by_public_id("pk-ed-one").await.unwrap(), Some(k1.clone()), "every field round-trips");
    assert_eq!(store.api_key_by_public_id("pk-ed-two").await.unwrap().unwrap().scopes, Vec::<String>::new());
    assert_eq!(store.api_key_by_public_id("pk-ed-nope").await.unwrap(), None);
    assert_eq!(store.project_api_keys(&crate::pid(&p.id)).await.unwrap(), vec![k2.clone(), k1.clone()], "newest first, own project only");
    assert_eq!(store.project_api_keys(&crate::pid(&q.id)).await.unwrap(), vec![k3]);

    let taken = store.create_api_key(new_key(&q, "pk-ed-one", &ada), NOW).await;
    assert!(is_conflict(taken.clone()), "a taken public id gave {taken:?}");
    assert_eq!(
        store.create_api_key(new_key(&Project { id: "no-such-project".into(), ..p.clone() }, "pk-ed-x", &ada), NOW).await,
        Err(StoreError::NotFound)
    );

    assert_eq!(
        store.revoke_api_key(&crate::pid(&q.id), &k1.id, NOW + 5).await,
        Err(StoreError::NotFound),
        "a key is revoked through its own project only"
    );
    assert_eq!(store.api_key_by_public_id("pk-ed-one").await.unwrap().unwrap().revoked_at_ms, None);
    assert_eq!(store.revoke_api_key(&crate::pid(&p.id), "no-such-key", NOW + 5).await, Err(StoreError::NotFound));
    store.revoke_api_key(&crate::pid(&p.id), &k1.id, NOW + 5).await.expect("revoke");
    store.revoke_api_key(&crate::pid(&p.id), &k1.id, NOW + 6).await.expect("revoking again is fine");
    assert_eq!(store.api_key_by_public_id("pk-ed-one").await.unwrap().unwrap().revoked_at_ms, Some(NOW + 5), "the first revocation counts");
    assert_eq!(store.project_api_keys(&crate::pid(&p.id)).await.unwrap().len(), 2, "revoked keys are still listed");

    store.touch_api_key(&k2.id, NOW + 7).await.expect("touch");
    let touched = store.api_key_by_public_id("pk-ed-two").await.unwrap().unwrap();
    assert_eq!(touched, ApiKeyRecord { last_used_at_ms: Some(NOW + 7), ..k2 });
    store.touch_api_key("no-such-key", NOW).await.expect("touching a deleted key is harmless");
}

pub async fn the_free_plan_is_seeded_as_default(store: Arc<dyn PrimaryStore>) {
    let plans = store.list_plans().await.unwrap();
    assert_eq!(plans.len(), 1, "{plans:?}");
    let free = &plans[0];
    assert_eq!((free.name.as_str(), free.is_default, &free.limits), ("Free", true, &free_limits()));
    assert!(free.created_at_ms > NOW, "seeded at migration time: {}", free.created_at_ms);
    assert_eq!(store.plan_by_id(&free.id).await.unwrap().as_ref(), Some(free));
    let ada = user(&*store, "ada@example.com").await;
    assert_eq!(store.plan_of_user(&ada.id).await.unwrap().as_ref(), Some(free), "new users are on the default plan");
}

pub async fn plans_are_created_updated_and_listed(store: Arc<dyn PrimaryStore>) {
    let team = store.create_plan(team_plan("Team"), NOW).await.expect("create");
    assert_eq!(
        team,
        Plan { id: team.id.clone(), name: "Team".into(), limits: team_plan("Team").limits, is_default: false, created_at_ms: NOW }
    );
    assert_eq!(store.plan_by_id(&team.id).await.unwrap(), Some(team.clone()), "limits round-trip, unlimited included");
    assert_eq!(store.plan_by_id("no-such-plan").await.unwrap(), None);

    let unlimited = NewPlan { name: "Enterprise".into(), limits: PlanLimits::default() };
    let enterprise = store.create_plan(unlimited, NOW + 1).await.unwrap();
    let names: Vec<String> = store.list_plans().await.unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Enterprise", "Free", "Team"], "by name");

    let bigger =
        NewPlan { name: "Team plus".into(), limits: PlanLimits { projects: Some(50), dataset_rows: Some(0), ..Default::default() } };
    store.update_plan(&team.id, bigger.clone()).await.expect("update");
    assert_eq!(
        store.plan_by_id(&team.id).await.unwrap(),
        Some(Plan { name: bigger.name, limits: bigger.limits, ..team.clone() }),
        "id, default flag and creation time stay"
    );

    assert!(is_conflict(store.create_plan(team_plan("Free"), NOW).await), "a taken name on create");
    assert!(is_conflict(store.update_plan(&enterprise.id, team_plan("Free")).await), "a taken name on update");
    assert_eq!(store.update_plan("no-such-plan", team_plan("Ghost")).await, Err(StoreError::NotFound));
    let huge = NewPlan { name: "Huge".into(), limits: PlanLimits { storage_bytes: Some(u64::MAX), ..Default::default() } };
    assert!(matches!(store.create_plan(huge, NOW).await, Err(StoreError::Invalid(_))), "a limit beyond i64 is refused");
    assert_eq!(store.list_plans().await.unwrap().len(), 3);
}

pub async fn set_default_plan_is_exclusive(store: Arc<dyn PrimaryStore>) {
    let free = store.list_plans().await.unwrap().remove(0);
    let team = store.create_plan(team_plan("Team"), NOW).await.unwrap();
    let pro = store.create_plan(team_plan("Pro"), NOW).await.unwrap();
    assert_eq!(default_plan_ids(&*store).await, vec![free.id.clone()]);

    store.set_default_plan(&team.id).await.expect("set default");
    assert_eq!(default_plan_ids(&*store).await, vec![team.id.clone()], "exactly one default");
    store.set_default_plan(&team.id).await.expect("again is fine");
    assert_eq!(default_plan_ids(&*store).await, vec![team.id.clone()]);
    store.set_default_plan(&pro.id).await.unwrap();
    assert_eq!(default_plan_ids(&*store).await, vec![pro.id.clone()]);

    assert_eq!(store.set_default_plan("no-such-plan").await, Err(StoreError::NotFound));
    assert_eq!(default_plan_ids(&*store).await, vec![pro.id], "an unknown plan changes nothing");
    store.set_default_plan(&free.id).await.unwrap();
    assert_eq!(default_plan_ids(&*store).await, vec![free.id]);
}

pub async fn plan_of_user_is_assigned_else_default(store: Arc<dyn PrimaryStore>) {
    let ada = user(&*store, "ada@example.com").await;
    let bob = user(&*store, "bob@example.com").await;
    let free = store.list_plans().await.unwrap().remove(0);
    let team = store.create_plan(team_plan("Team"), NOW).await.unwrap();
    let pro = store.create_plan(team_plan("Pro"), NOW).await.unwrap();
    let plan_id = |p: Option<Plan>| p.expect("a plan").id;

    assert_eq!(plan_id(store.plan_of_user(&ada.id).await.unwrap()), free.id, "the default");
    store.assign_plan(&ada.id, Some(&team.id)).await.expect("assign");
    assert_eq!(store.plan_of_user(&ada.id).await.unwrap(), Some(team.clone()), "the assigned plan");
    assert_eq!(plan_id(store.plan_of_user(&bob.id).await.unwrap()), free.id, "others stay on the default");

    store.set_default_plan(&pro.id).await.unwrap();
    assert_eq!(plan_id(store.plan_of_user(&ada.id).await.unwrap()), team.id, "an assignment outlives a default change");
    assert_eq!(plan_id(store.plan_of_user(&bob.id).await.unwrap()), pro.id, "unassigned users follow the default");

    let assigned = store.plan_assignments().await.unwrap();
    assert!(assigned.contains(&(ada.id.clone(), Some(team.id.clone()))), "{assigned:?}");
    assert!(assigned.contains(&(bob.id.clone(), None)), "{assigned:?}");
    store.assign_plan(&ada.id, None).await.expect("back to the default");
    assert_eq!(plan_id(store.plan_of_user(&ada.id).await.unwrap()), pro.id);

    assert_eq!(store.assign_plan(&ada.id, Some("no-such-plan")).await, Err(StoreError::NotFound));
    assert_eq!(plan_id(store.plan_of_user(&ada.id).await.unwrap()), pro.id, "a failed assignment changes nothing");
    assert_eq!(store.assign_plan("no-such-user", Some(&team.id)).await, Err(StoreError::NotFound));
    assert_eq!(store.assign_plan("no-such-user", None).await, Err(StoreError::NotFound));
}
