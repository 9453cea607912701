//! The retrieval index of one knowledge-base release.
