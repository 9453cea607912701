//! The step types live in `domain` (the app renders them in the browser); re-exported here so the
//! checks read as one API.

pub use domain::test_steps::*;
