//! A router that remembers what it serves. Every HTTP route outside Leptos is added through
//! [`Routes`], so [`crate::http::route_table`] can list them all and the access-matrix test fails
//! on a route that has no access rule (forms, JSON APIs and API-key routes alike).

use axum::{
    handler::Handler,
    routing::{self, MethodRouter},
    Router,
};

/// One method and path, as registered (`{name}` placeholders kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
}

pub struct Routes<S = crate::startup::AppState> {
    router: Router<S>,
    listed: Vec<Route>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes { router: Router::new(), listed: Vec::new() }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add("GET", path, routing::get(handler))
    }

    pub fn post<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add("POST", path, routing::post(handler))
    }

    pub fn put<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add("PUT", path, routing::put(handler))
    }

    /// Add a route with its own method router (a route with extra layers, say); `method` is what
    /// the table lists.
    pub fn add(mut self, method: &'static str, path: &'static str, route: MethodRouter<S>) -> Self {
        // axum merges methods registered on one path and panics on a repeated method.
        self.router = self.router.route(path, route);
        self.listed.push(Route { method, path });
        self
    }

    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.listed.extend(other.listed);
        self
    }

    /// What this router serves.
    pub fn table(&self) -> &[Route] {
        &self.listed
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_what_it_routes() {
        let routes: Routes<()> =
            Routes::new().get("/a", || async {}).post("/a", || async {}).merge(Routes::new().put("/b/{id}", || async {}));
        assert_eq!(
            routes.table(),
            &[Route { method: "GET", path: "/a" }, Route { method: "POST", path: "/a" }, Route { method: "PUT", path: "/b/{id}" }]
        );
    }
}
