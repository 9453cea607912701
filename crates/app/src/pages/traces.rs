//! Trace explorer pages. (Being built: issue 4.)
