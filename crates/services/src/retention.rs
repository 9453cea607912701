//! Per-project trace retention and the expiry job. (Being built: issue 4.)
