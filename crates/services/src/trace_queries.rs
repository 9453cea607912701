//! What the trace explorer reads, authorised per project. (Being built: issue 4.)
